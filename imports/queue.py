"""Queueing import work. The importer decides what runs next and the tasks
module runs it; looking the tasks up by name here keeps that dependency one-way
(imports.tasks imports the importer, never the reverse)."""

from celery import current_app

PLAN = "imports.tasks.import_dump"
CHUNK = "imports.tasks.import_chunk"


def queue_plan(job_id: int) -> None:
    current_app.tasks[PLAN].delay(job_id)


def queue_chunk(chunk_id: int) -> None:
    current_app.tasks[CHUNK].delay(chunk_id)
