"""The panel's URLs: one namespace per mount point, composed from the part modules."""

from django.urls import URLPattern

from masip.panel import urls_agenda, urls_items, urls_meetings, urls_minutes

_PARTS = (urls_meetings, urls_agenda, urls_items, urls_minutes)

app_name = "panel"
urlpatterns: list[URLPattern] = [pattern for part in _PARTS for pattern in part.urlpatterns]
