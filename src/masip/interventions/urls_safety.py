"""Pages of the interventions app: safety (mounted under /cases/<case_id>/)."""

from django.urls import URLPattern, path

from masip.interventions import views_safety as views

urlpatterns: list[URLPattern] = [
    path("safety/<str:participant_id>/", views.victim_safety, name="safety_victim"),
    path("safety/<str:participant_id>/plan/", views.plan_revise, name="safety_plan_revise"),
    path("safety/<str:participant_id>/plan/<int:number>/", views.plan_version, name="safety_plan_version"),
    path("safety/<str:participant_id>/contact/", views.contact_edit, name="safety_contact_edit"),
    path("safety/<str:participant_id>/measures/add/", views.measure_add, name="safety_measure_add"),
    path("safety/<str:participant_id>/advocacy/", views.advocacy_log, name="safety_advocacy"),
    path("safety/<str:participant_id>/advocacy/contact/", views.advocacy_contact_add, name="safety_advocacy_contact"),
    path("safety/<str:participant_id>/advocacy/needs/", views.needs_add, name="safety_advocacy_needs"),
    path("safety/<str:participant_id>/advocacy/referral/", views.support_referral_add, name="safety_advocacy_referral"),
]
