"""Delete what has outlived its purpose: expired sessions and ownership codes,
and the kept files of failed uploads."""

from importlib import import_module

from django.conf import settings
from django.utils import timezone

from leaks.models import OwnershipCode


def expired_data_clear() -> dict[str, int]:
    """Sessions hold proven numbers' keyed hashes; drop them as soon as they expire."""
    from leaks.importer import failed_files_clear

    codes, _ = OwnershipCode.objects.filter(expires_at__lt=timezone.now()).delete()
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    return {"codes": codes, "failed_files": failed_files_clear()}
