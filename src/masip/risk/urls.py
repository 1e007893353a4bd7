"""Case-scoped risk pages, under /cases/<case_id>/risk/: assessments, formulations, history."""

from masip.risk import urls_assessments, urls_history

app_name = "risk"
urlpatterns = [*urls_assessments.urlpatterns, *urls_history.urlpatterns]
