from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "earlywarn.cases"
    label = "cases"
    verbose_name = "Cases"
