"""Publishing a breach: nothing of it is public until an admin says so after an import.

An import runs into an unpublished breach unseen: not listed, not in check
results or the API, and its alerts wait. Publishing shows it and queues the
alerts of its finished imports; unpublishing hides it again.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leaks.models import Breach, ImportJob
from leaks.signals import import_visible


class PublishRefused(Exception):
    """The breach cannot be published yet; the message says why."""


def breach_publish(*, breach: Breach) -> None:
    """Show a breach to the public; refused without a finished import holding numbers."""
    with transaction.atomic():
        locked = Breach.objects.select_for_update().get(pk=breach.pk)
        done = list(locked.imports.filter(status=ImportJob.Status.DONE))
        if not done:
            raise PublishRefused(_("It has no finished import yet."))
        if locked.pwn_count == 0:
            raise PublishRefused(_("Its imports found no valid number."))
        if locked.published_at is None:
            locked.published_at = timezone.now()
            # modified_date moves too: the catalogue's ETag changes.
            locked.save(update_fields=["published_at", "modified_date"])
        # Matching is idempotent (one AlertScan per job): already matched jobs add nothing.
        for job in done:
            import_visible.send(sender=Breach, job=job)
    breach.published_at = locked.published_at


def breach_unpublish(*, breach: Breach) -> None:
    with transaction.atomic():
        locked = Breach.objects.select_for_update().get(pk=breach.pk)
        if locked.published_at is not None:
            locked.published_at = None
            locked.save(update_fields=["published_at", "modified_date"])
    breach.published_at = None
