"""Case-scoped intervention pages under /cases/<case_id>/: victim safety and support, the Victims'
Code, perpetrator interventions, legal actions and orders."""

from masip.interventions import urls_legal, urls_perpetrator, urls_safety, urls_vcop

app_name = "interventions"
urlpatterns = [*urls_safety.urlpatterns, *urls_vcop.urlpatterns, *urls_legal.urlpatterns, *urls_perpetrator.urlpatterns]
