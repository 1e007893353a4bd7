from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "masip.work"
    label = "work"
    verbose_name = "Work: tasks and reviews"
