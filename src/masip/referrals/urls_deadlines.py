"""URL patterns of the unit's triage-deadline settings; masip.referrals.urls joins them under one namespace."""

from django.urls import URLPattern, path

from masip.referrals import deadline_views

urlpatterns: list[URLPattern] = [
    path("settings/triage-deadlines/", deadline_views.triage_deadlines, name="deadlines"),
]
