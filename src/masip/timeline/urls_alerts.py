"""A case's red-flag alerts and their acknowledgement."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
