from celery import shared_task

from leaks.importer import import_run
from leaks.models import ImportJob


@shared_task(acks_late=True)
def import_dump(job_id: int) -> None:
    """Import one dump; takes the job's id, never a number or a path."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is not None:
        import_run(job)
