from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "masip.audit"
    label = "audit"
    verbose_name = "Audit log"
