"""Alert tasks: they take ids (or nothing), never a number or an address."""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import DatabaseError

from alerts import sending, services
from leaks.models import ImportJob

log = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=8)
def alerts_match(job_id: int) -> None:
    """Record the alerts a finished import calls for, then start sending them."""
    job = ImportJob.objects.filter(pk=job_id).select_related("breach").first()
    if job is not None and services.deliveries_create_for_job(job=job):
        alerts_send.delay()
        # Texts wait for the gather window (ALERTS_SMS_GATHER_SECONDS): a run then
        # sends them within the two minutes an import's alert text is due in.
        if settings.ALERTS_SMS_GATHER_SECONDS:
            alerts_send.apply_async(countdown=settings.ALERTS_SMS_GATHER_SECONDS + 1)


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=8)
def alerts_send() -> None:
    """Send one batch of due alerts; queue the next batch when more are waiting."""
    report = sending.deliveries_send_due(limit=settings.ALERTS_BATCH_SIZE)
    handled = report.sent + report.retrying + report.failed
    delay: int | None
    if report.gate_closed:
        # The counters could not be reached: nothing was sent; try again later.
        delay = report.gate_closed
    elif handled + report.deferred >= settings.ALERTS_BATCH_SIZE:
        delay = 0
    elif report.throttled:
        delay = min(report.throttled.values())
    elif handled or report.deferred:
        # Retries that failed here come due later; a run with nothing to do ends the chain.
        delay = sending.seconds_until_next_due()
    else:
        return
    # Retries further away than the sweep are left to the sweep.
    if delay is not None and delay <= settings.ALERTS_SWEEP_SECONDS:
        alerts_send.apply_async(countdown=delay)


@shared_task(acks_late=True)
def alerts_sweep() -> None:
    """Catch up on whatever a lost task or a killed worker left behind."""
    services.subscriptions_expire_unconfirmed()
    for job_id in services.jobs_without_alert_scan().values_list("pk", flat=True):
        alerts_match.delay(job_id)
    delay = sending.seconds_until_next_due()
    if delay is not None and delay <= settings.ALERTS_SWEEP_SECONDS:
        alerts_send.apply_async(countdown=delay)


@worker_ready.connect
def _sweep_on_start(sender: object = None, **kwargs: object) -> None:
    # A worker that starts after a crash resumes the sends the dead one held.
    try:
        alerts_sweep.delay()
    except Exception:  # the broker may still be coming up; the beat sweep follows
        log.exception("could not queue the alerts sweep")
