"""Unit-wide red flags: the open alerts on the cases of the units a manager oversees."""

from django.urls import path

from masip.timeline import alert_views

app_name = "alerts"
urlpatterns = [path("", alert_views.unit_alerts, name="index")]
