from django.apps import AppConfig


class InterventionsConfig(AppConfig):
    name = "masip.interventions"
    label = "interventions"
    verbose_name = "Interventions: victim safety, Victims' Code, perpetrator work, legal actions and orders"
