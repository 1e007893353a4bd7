from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "masip.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        # Registers the OpenAPI descriptions of masip's authentication classes.
        from masip.api import schema  # noqa: F401
