"""Training URLs: reports (see urls.py for how the parts are composed)."""

from django.urls import URLPattern, path

from masip.training import views_reports

urlpatterns: list[URLPattern] = [
    path("manage/deliveries/<int:delivery_id>/feedback/", views_reports.delivery_report, name="delivery_report"),
    path("manage/reports/", views_reports.reports, name="reports"),
    path("manage/reports/training.csv", views_reports.reports_csv, name="reports_csv"),
]
