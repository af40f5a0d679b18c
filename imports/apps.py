from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """Breach dumps in: readers, the staged and merged import, its worker tasks."""

    name = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        # Registers the import tasks in every process: the importer queues them by
        # name (imports/queue.py), also from the web process.
        from imports import tasks  # noqa: F401
