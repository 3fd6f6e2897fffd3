from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "earlywarn.accounts"
    label = "accounts"
    verbose_name = "Accounts"
