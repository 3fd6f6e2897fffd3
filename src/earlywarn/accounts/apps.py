from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "earlywarn.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from earlywarn.accounts import signals  # noqa: F401 - connects the receivers
