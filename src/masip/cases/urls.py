from django.urls import path

from masip.cases import note_views, views

app_name = "cases"
# Case ids stay strings here: a malformed id then reaches the same audited 404 as a missing one.
urlpatterns = [
    path("", views.case_list, name="list"),
    path("break-glass/reviews/", views.break_glass_reviews, name="break_glass_reviews"),
    path("break-glass/reviews/<int:grant_id>/", views.break_glass_review, name="break_glass_review"),
    path("<str:case_id>/", views.case_detail, name="detail"),
    path("<str:case_id>/break-glass/", views.break_glass, name="break_glass"),
    path("<str:case_id>/notes/", views.note_add, name="note_add"),
    # Notes and contact records.
    path("<str:case_id>/contacts/", note_views.contact_add, name="contact_add"),
    path("<str:case_id>/notes/<str:note_id>/edit/", note_views.note_edit, name="note_edit"),
    path("<str:case_id>/notes/<str:note_id>/history/", note_views.note_history, name="note_history"),
    path("<str:case_id>/notes/<str:note_id>/release/", note_views.note_release, name="note_release"),
]
