from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "earlywarn.notify"
    label = "notify"
    verbose_name = "Notifications"
