"""URL patterns of the referrals app's import pages; masip.referrals.urls joins them under one namespace."""

from django.urls import path

from masip.referrals import import_views

urlpatterns = [
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/new/", import_views.import_upload, name="import_upload"),
    path("imports/<str:import_id>/", import_views.import_detail, name="import_detail"),
    path("imports/<str:import_id>/progress/", import_views.import_progress, name="import_progress"),
    path("imports/<str:import_id>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("imports/<str:import_id>/cancel/", import_views.import_cancel, name="import_cancel"),
    path("imports/<str:import_id>/report.csv", import_views.import_report, name="import_report"),
]
