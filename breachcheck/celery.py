import os

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachcheck.settings")

app = Celery("breachcheck")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every app's tasks, and the project's own (housekeeping spans the places).
app.autodiscover_tasks(lambda: [*settings.INSTALLED_APPS, "breachcheck"])


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **kwargs) -> None:
    # The filesystem broker of the embedded default needs its folders to exist.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)
