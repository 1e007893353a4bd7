"""The panel's pages of one case, under /cases/<case_id>/panel/ (every view is case_permission)."""

from django.urls import URLPattern

from masip.panel import urls_agenda, urls_items, urls_meetings, urls_minutes

_PARTS = (urls_meetings, urls_agenda, urls_items, urls_minutes)

app_name = "panel_case"
urlpatterns: list[URLPattern] = [pattern for part in _PARTS for pattern in part.case_urlpatterns]
