"""The reporting URLs, composed from the part modules (dashboard, comparison, exports,
quarterly report)."""

from django.urls import URLPattern

from masip.reports import urls_comparison, urls_dashboard, urls_exports, urls_quarterly

_PARTS = (urls_dashboard, urls_comparison, urls_exports, urls_quarterly)

app_name = "reports"
urlpatterns: list[URLPattern] = [pattern for part in _PARTS for pattern in part.urlpatterns]
