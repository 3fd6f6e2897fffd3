from django.apps import AppConfig


class CommitteeConfig(AppConfig):
    name = "earlywarn.committee"
    default_auto_field = "django.db.models.BigAutoField"
