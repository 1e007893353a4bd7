"""A case's red-flag alerts and their acknowledgement."""

from django.urls import path

from masip.timeline import alert_views

urlpatterns = [
    path("red-flags/", alert_views.alert_list, name="alerts"),
    path("red-flags/<str:alert_id>/acknowledge/", alert_views.alert_acknowledge, name="alert_acknowledge"),
]
