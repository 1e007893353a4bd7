"""Training URLs: enquiries (see urls.py for how the parts are composed)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
