"""Person pages: a person's linked history across referrals, cases and orders."""

from django.urls import URLPattern

app_name = "people"
urlpatterns: list[URLPattern] = []
