from django.apps import AppConfig


class AdvisoriesConfig(AppConfig):
    name = "earlywarn.advisories"
    label = "advisories"
    verbose_name = "Advisories"
