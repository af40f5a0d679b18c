from celery import shared_task

from breachcheck import housekeeping


@shared_task
def expired_data_clear() -> None:
    """Hourly: delete what has outlived its purpose (breachcheck/housekeeping.py)."""
    housekeeping.expired_data_clear()
