"""A case's risk over time (chart and table), formulations, and events that call for re-assessment."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
