from django.apps import AppConfig


class LeaksConfig(AppConfig):
    name = "leaks"
    verbose_name = "Breaches"
