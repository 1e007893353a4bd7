from django.urls import path

from masip.reports import views_exports

urlpatterns = [
    path("exports/", views_exports.exports, name="exports"),
    path("exports/new/", views_exports.export_new, name="export_new"),
    path("exports/keys/", views_exports.export_keys, name="export_keys"),
]
