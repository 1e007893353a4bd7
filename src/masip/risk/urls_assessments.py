"""Assessments of a case: start with an instrument, save a draft, complete, raise with judgement."""

from django.urls import URLPattern, path

from masip.risk import views

# Ids stay strings: a malformed id reaches the same audited 404 as a missing one.
urlpatterns: list[URLPattern] = [
    path("assessments/", views.assessment_list, name="assessments"),
    path("assessments/start/", views.assessment_start, name="assessment_start"),
    path("assessments/<str:assessment_id>/", views.assessment_detail, name="assessment"),
    path("assessments/<str:assessment_id>/answers/", views.assessment_edit, name="assessment_edit"),
    path("assessments/<str:assessment_id>/raise/", views.assessment_raise, name="assessment_raise"),
]
