"""URL patterns of the referrals app's screening pages; masip.referrals.urls joins them under one namespace."""

from django.urls import URLPattern, path

from masip.referrals import screening_views as views

# Ids stay strings: a malformed id then reaches the same audited 404 as a missing one.
urlpatterns: list[URLPattern] = [
    path("screening/", views.queue, name="queue"),
    path("screening/<str:referral_id>/", views.screen, name="screen"),
    path("screening/<str:referral_id>/screener/", views.assign, name="assign"),
    path("screening/<str:referral_id>/decision/", views.decide, name="decide"),
    path("screening/<str:referral_id>/withdraw/", views.withdraw, name="withdraw"),
    path(
        "screening/<str:referral_id>/people/<str:subject_id>/link/",
        views.subject_link,
        name="subject_link",
    ),
    path(
        "screening/<str:referral_id>/people/<str:subject_id>/new-person/",
        views.subject_create_person,
        name="subject_create_person",
    ),
]
