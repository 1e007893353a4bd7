"""Person pages: a person's linked history across referrals, cases and orders."""

from django.urls import path

from masip.people import views

app_name = "people"
# Person ids stay strings: a malformed id then reaches the same audited 404 as a missing one.
urlpatterns = [
    path("<str:person_id>/", views.person_history, name="history"),
]
