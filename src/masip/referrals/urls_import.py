"""URL patterns of the referrals app's import pages; masip.referrals.urls joins them under one namespace."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
