from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "masip.evidence"
    verbose_name = "Evidence"
