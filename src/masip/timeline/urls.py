"""Case-scoped timeline pages, under /cases/<case_id>/timeline/: entries, red flags, escalation."""

from masip.timeline import urls_alerts, urls_analytics, urls_entries

app_name = "timeline"
urlpatterns = [*urls_entries.urlpatterns, *urls_alerts.urlpatterns, *urls_analytics.urlpatterns]
