"""Timeline entries: one, a batch, an imported incident log; the table of entries."""

from django.urls import path

from masip.timeline import views

urlpatterns = [
    path("", views.entries, name="entries"),
    path("add/", views.entry_add, name="entry_add"),
    path("bulk/", views.entry_bulk, name="entry_bulk"),
    path("entries/<uuid:entry_id>/", views.entry_detail, name="entry_detail"),
    path("entries/<uuid:entry_id>/edit/", views.entry_edit, name="entry_edit"),
    path("import/", views.import_upload, name="import"),
    path("import/sample.csv", views.import_sample, name="import_sample"),
    path("import/<uuid:log_id>/", views.import_detail, name="import_detail"),
    path("import/<uuid:log_id>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/<uuid:log_id>/cancel/", views.import_cancel, name="import_cancel"),
]
