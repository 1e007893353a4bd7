from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "masip.risk"
    label = "risk"
    verbose_name = "Risk: instruments, assessments and formulations"
