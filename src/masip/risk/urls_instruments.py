"""The unit's instruments: list, versions, upload a definition file, withdraw a version."""

from django.urls import URLPattern

app_name = "instruments"
urlpatterns: list[URLPattern] = []
