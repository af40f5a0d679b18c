"""Delete what has outlived its purpose: expired sessions, ownership codes, the
new-key notes of imports whose alert scan never ran, and the kept files of
failed uploads."""

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from imports.jobs import failed_files_clear
from leaks.models import NewExposure, OwnershipCode

# The alert sweep retries a lost scan for a week (alerts.services.jobs_without_alert_scan).
NEW_KEYS_KEPT = timedelta(days=8)


def expired_data_clear() -> dict[str, int]:
    """Sessions hold sealed numbers (proof/session.py); drop them as soon as they expire."""
    codes, _ = OwnershipCode.objects.filter(expires_at__lt=timezone.now()).delete()
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    if not issubclass(engine.SessionStore, DatabaseSessionStore):
        # Redis expires its own; rows written before sessions moved there still count.
        DatabaseSessionStore.clear_expired()
    stale = timezone.now() - NEW_KEYS_KEPT
    notes, _ = NewExposure.objects.filter(job__finished_at__lt=stale).delete()
    return {"codes": codes, "new_key_notes": notes, "failed_files": failed_files_clear()}
