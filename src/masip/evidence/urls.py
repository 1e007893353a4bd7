from django.urls import path

from masip.evidence import views

app_name = "evidence"
# Ids stay strings: a malformed id reaches the same audited 404 as a missing one.
urlpatterns = [
    path("", views.evidence_list, name="list"),
    path("upload/", views.evidence_upload, name="upload"),
    path("export/", views.evidence_export, name="export"),
    path("<str:evidence_id>/", views.evidence_detail, name="detail"),
    path("<str:evidence_id>/download/", views.evidence_download, name="download"),
    path("<str:evidence_id>/hand-over/", views.evidence_hand_over, name="hand_over"),
]
