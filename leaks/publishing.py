"""Publishing a breach: nothing of it is public until an admin says so after an import.

An import runs into an unpublished breach unseen: not listed, not in check
results or the API, and its alerts wait. Publishing shows it and queues the
alerts of its finished imports; unpublishing hides it again.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leaks.models import Breach, ImportJob
from leaks.signals import import_visible


class PublishRefused(Exception):
    """The breach cannot be published yet; the message says why."""


@dataclass(frozen=True)
class Readiness:
    """What an admin should know before publishing: what blocks it, and what
    citizens would see missing (a warning, not a block)."""

    blocked: str
    missing: list[str]


def breach_readiness(breach: Breach) -> Readiness:
    blocked = ""
    if not breach.imports.filter(status=ImportJob.Status.DONE).exists():
        blocked = str(_("It has no finished import yet."))
    elif breach.pwn_count == 0:
        blocked = str(_("Its imports found no valid number."))
    missing = [
        str(text)
        for text, there in (
            (_("No breach date: citizens will not know how old the leak is."), breach.breach_date),
            (
                _("No description: citizens will not know what the service was."),
                breach.description.strip(),
            ),
            (
                _("No data classes: the page cannot say what leaked with the numbers."),
                breach.data_classes,
            ),
        )
        if not there
    ]
    return Readiness(blocked=blocked, missing=missing)


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
