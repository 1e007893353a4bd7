"""Pages of the interventions app: vcop (mounted under /cases/<case_id>/)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
