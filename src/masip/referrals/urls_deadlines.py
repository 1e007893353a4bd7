"""URL patterns of the unit's triage-deadline settings; masip.referrals.urls joins them under one namespace."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
