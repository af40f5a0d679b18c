from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeaksConfig(AppConfig):
    name = "leaks"
    verbose_name = _("Breaches")

    def ready(self) -> None:
        from leaks import (
            checks,  # noqa: F401 - registers the deploy checks
            lookups,  # noqa: F401 - lets lookups run as prepared statements
            public_set,  # noqa: F401 - drops the snapshot when a breach changes
        )
