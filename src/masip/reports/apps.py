from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "masip.reports"
    label = "reports"
    verbose_name = "Reporting and evaluation: unit dashboards, outcome measures, comparison, safe exports"
