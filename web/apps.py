from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The citizen's pages: the check and its result, the catalogue, the private check."""

    name = "web"
    verbose_name = _("Citizen pages")
