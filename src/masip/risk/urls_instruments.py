"""The unit's instruments: list, versions, upload a definition file, withdraw a version."""

from django.urls import path

from masip.risk import instrument_views as views

app_name = "instruments"
urlpatterns = [
    path("", views.instrument_list, name="list"),
    path("upload/", views.instrument_upload, name="upload"),
    path("versions/<str:version_id>/", views.instrument_version, name="version"),
    path("versions/<str:version_id>/withdraw/", views.instrument_version_withdraw, name="withdraw"),
]
