from django.apps import AppConfig


class PanelConfig(AppConfig):
    name = "masip.panel"
    label = "panel"
    verbose_name = "Panel meetings: agenda, discussion, decisions, actions and minutes"
