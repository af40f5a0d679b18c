from celery import shared_task
from celery.signals import worker_ready

from imports.importer import import_chunk_run, import_plan, import_resume
from leaks.models import ImportChunk, ImportJob


@shared_task(acks_late=True)
def import_dump(job_id: int) -> None:
    """Plan one import and queue its chunks; takes the job's id, never a number or a path."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return
    for chunk_id in import_plan(job):
        import_chunk.delay(chunk_id)


@shared_task(acks_late=True, bind=True)
def import_chunk(self, chunk_id: int) -> None:
    """Stage one chunk of an import; the last chunk to finish merges."""
    chunk = ImportChunk.objects.select_related("job").filter(pk=chunk_id).first()
    if chunk is not None:
        import_chunk_run(chunk, worker=self.request.hostname or "worker")


@shared_task
def imports_resume() -> None:
    """Queue again the chunks and plans of workers that stopped reporting progress."""
    import_resume()


@worker_ready.connect
def _resume_after_restart(sender, **kwargs) -> None:
    # A worker that has just started runs nothing: any chunk still marked as
    # its own was cut short by a crash or a kill, so it is queued again.
    import_resume(worker=sender.hostname)
