from django.urls import path

from masip.api import token_views, views

app_name = "api"
urlpatterns = [
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("me/", views.MeView.as_view(), name="me"),
    path("cases/", views.CaseListView.as_view(), name="case-list"),
    # Case ids stay strings: a malformed id then gets the same audited 404 as a missing one.
    path("cases/<str:case_id>/", views.CaseDetailView.as_view(), name="case-detail"),
    path("cases/<str:case_id>/notes/", views.CaseNoteListView.as_view(), name="case-note-list"),
    path("referrals/", views.ReferralListView.as_view(), name="referral-list"),
    path("referrals/<str:referral_id>/", views.ReferralDetailView.as_view(), name="referral-detail"),
    # Web screens for system administrators (HTML, not part of the REST API).
    path("tokens/", token_views.token_list, name="token_list"),
    path("tokens/new/", token_views.token_create, name="token_create"),
    path("tokens/<str:token_id>/revoke/", token_views.token_revoke, name="token_revoke"),
]
