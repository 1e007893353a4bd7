"""Unit-wide red flags: the alerts on the unit's cases (managers) and the unit's rule sets."""

from django.urls import URLPattern

app_name = "alerts"
urlpatterns: list[URLPattern] = []
