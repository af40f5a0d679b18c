from django.apps import AppConfig


class LeaksConfig(AppConfig):
    name = "leaks"
    verbose_name = "Breaches"

    def ready(self) -> None:
        from leaks import checks  # noqa: F401 - registers the deploy checks
