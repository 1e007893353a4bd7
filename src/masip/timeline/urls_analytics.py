"""The visual timeline and the escalation analytics of a case."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
