"""Unit-wide views of the interventions: overdue Victims' Code updates, orders expiring."""

from django.urls import URLPattern

app_name = "interventions_unit"
urlpatterns: list[URLPattern] = []
