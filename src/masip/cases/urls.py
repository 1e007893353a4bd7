from django.urls import path

from masip.cases import note_views, views, workflow_views

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
    path("<str:case_id>/notes/all/", views.note_list, name="notes"),
    path("<str:case_id>/contacts/", note_views.contact_add, name="contact_add"),
    path("<str:case_id>/notes/<str:note_id>/edit/", note_views.note_edit, name="note_edit"),
    path("<str:case_id>/notes/<str:note_id>/history/", note_views.note_history, name="note_history"),
    path("<str:case_id>/notes/<str:note_id>/release/", note_views.note_release, name="note_release"),
    # Status workflow, case team, people and parallel processes.
    path("<str:case_id>/status/", workflow_views.status_change, name="status"),
    path("<str:case_id>/team/", workflow_views.team, name="team"),
    path("<str:case_id>/team/<int:member_id>/end/", workflow_views.team_end, name="team_end"),
    path("<str:case_id>/lead-agency/", workflow_views.lead_agency, name="lead_agency"),
    path("<str:case_id>/people/add/", workflow_views.participant_add, name="participant_add"),
    path("<str:case_id>/people/<str:participant_id>/end/", workflow_views.participant_end, name="participant_end"),
    path("<str:case_id>/processes/add/", workflow_views.process_add, name="process_add"),
    path("<str:case_id>/processes/<str:process_id>/end/", workflow_views.process_end, name="process_end"),
]
