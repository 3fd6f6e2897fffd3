from django.apps import AppConfig


class WebsitesConfig(AppConfig):
    name = "earlywarn.websites"
    label = "websites"
    verbose_name = "Websites"
