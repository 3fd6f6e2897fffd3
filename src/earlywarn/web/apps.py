from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "earlywarn.web"
    label = "web"
    verbose_name = "Web"
