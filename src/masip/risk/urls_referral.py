"""Assessments made on a referral during screening, under /referrals/<referral_id>/assessments/."""

from django.urls import URLPattern, path

from masip.risk import views

app_name = "risk_referral"
# The same names as the case's assessment pages (namespace "risk"); ids stay strings.
urlpatterns: list[URLPattern] = [
    path("", views.referral_assessment_list, name="assessments"),
    path("start/", views.referral_assessment_start, name="assessment_start"),
    path("<str:assessment_id>/", views.referral_assessment_detail, name="assessment"),
    path("<str:assessment_id>/answers/", views.referral_assessment_edit, name="assessment_edit"),
    path("<str:assessment_id>/raise/", views.referral_assessment_raise, name="assessment_raise"),
]
