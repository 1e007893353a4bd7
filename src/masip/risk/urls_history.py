"""A case's risk over time (chart and table), formulations, and events that call for re-assessment.

Ids stay strings: a malformed id then reaches the same audited 404 as a missing one.
"""

from django.urls import URLPattern, path

from masip.risk import formulation_views, history_views

urlpatterns: list[URLPattern] = [
    path("", history_views.risk_history, name="history"),
    path("events/new/", history_views.risk_event_add, name="event_add"),
    path("events/<str:event_id>/", history_views.risk_event_detail, name="event_detail"),
    path("formulations/new/", formulation_views.formulation_start, name="formulation_start"),
    path("formulations/<str:formulation_id>/", formulation_views.formulation_detail, name="formulation_detail"),
    path("formulations/<str:formulation_id>/edit/", formulation_views.formulation_edit, name="formulation_edit"),
]
