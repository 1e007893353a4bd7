from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "masip.accounts"
    label = "accounts"
    verbose_name = "Accounts, agencies and units"

    def ready(self) -> None:
        from masip.accounts import signals  # noqa: F401  (login audit receivers)
