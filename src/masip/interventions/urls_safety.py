"""Pages of the interventions app: safety (mounted under /cases/<case_id>/)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
