from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProofConfig(AppConfig):
    """Proof that a visitor holds a number: SMS codes and the sealed session state."""

    name = "proof"
    verbose_name = _("Proof of ownership")
