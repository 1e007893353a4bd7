"""Pages of the interventions app: vcop (mounted under /cases/<case_id>/)."""

from django.urls import path

from masip.interventions import views_vcop

urlpatterns = [
    path("victims-code/", views_vcop.vcop_index, name="vcop_index"),
    path("victims-code/events/new/", views_vcop.vcop_event_add, name="vcop_event_add"),
    path("victims-code/victims/<str:participant_id>/", views_vcop.vcop_settings, name="vcop_settings"),
    path("victims-code/victims/<str:participant_id>/views/new/", views_vcop.vcop_view_add, name="vcop_view_add"),
    path("victims-code/updates/<str:update_id>/given/", views_vcop.vcop_update_mark_sent, name="vcop_update_mark_sent"),
]
