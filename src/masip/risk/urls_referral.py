"""Assessments made on a referral during screening, under /referrals/<referral_id>/assessments/."""

from django.urls import URLPattern

app_name = "risk_referral"
urlpatterns: list[URLPattern] = []
