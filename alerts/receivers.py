"""How the alerts app hears of the core's events (leaks/signals.py)."""

from django.db import transaction
from django.dispatch import receiver

from alerts.tasks import alerts_match
from leaks.signals import import_visible


@receiver(import_visible, dispatch_uid="alerts-match-on-import-visible")
def match_when_visible(sender: object, *, job, **kwargs) -> None:
    """Queue the matching once the sender's transaction commits. If the worker
    dies before the task is queued, the sweep finds the job without an AlertScan
    and queues it then; a second match of one job adds nothing (one AlertScan)."""
    job_id = job.pk
    transaction.on_commit(lambda: alerts_match.delay(job_id))
