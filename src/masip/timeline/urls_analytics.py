"""The visual timeline and the escalation analytics of a case."""

from django.urls import URLPattern, path

from masip.timeline import analytics_views

urlpatterns: list[URLPattern] = [
    path("pattern/", analytics_views.pattern, name="pattern"),
]
