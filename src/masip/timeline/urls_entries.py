"""Timeline entries: one, a batch, an imported incident log; the table of entries."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
