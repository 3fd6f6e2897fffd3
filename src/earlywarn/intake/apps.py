from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "earlywarn.intake"
    label = "intake"
    verbose_name = "Intake"
