import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from imports.importer import import_run
from imports.jobs import import_create
from imports.readers import FORMATS
from leaks.models import Breach, ImportJob
from leaks.publishing import PublishRefused, breach_publish, breach_readiness


class Command(BaseCommand):
    help = "Import a dump into a breach through the Celery worker and print a JSON summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--breach", required=True, help="slug; created if new")
        parser.add_argument("--title", help="title for a new breach (default: the slug)")
        parser.add_argument("--column", help="phone column: header name or 0-based index")
        parser.add_argument("--encoding", help="text encoding (default: detected)")
        parser.add_argument(
            "--format", choices=FORMATS, help="dump format (default: detected from content)"
        )
        parser.add_argument("--region", help="default region for numbers without +")
        parser.add_argument(
            "--inline", action="store_true", help="run here instead of in the worker"
        )
        parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="publish the breach once the import succeeds (it is hidden until published)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        path = opts["file"].resolve()
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        options = {
            key: opts[key] for key in ("column", "encoding", "region", "format") if opts[key]
        }
        with transaction.atomic():
            breach, _ = Breach.objects.get_or_create(
                slug=opts["breach"], defaults={"title": opts["title"] or opts["breach"]}
            )
            job = import_create(
                breach=breach,
                path=path,
                source_name=path.name,
                options=options,
                queue=not opts["inline"],
            )
        job = import_run(job) if opts["inline"] else self._wait(job, opts["timeout"])
        self.stdout.write(json.dumps(job.summary(), ensure_ascii=False))
        if job.status != ImportJob.Status.DONE:
            raise CommandError(job.error or f"import {job.status}")
        if opts["publish"]:
            try:
                breach_publish(breach=job.breach)
            except PublishRefused as refused:
                raise CommandError(f"Not published: {refused.args[0]}") from None
            # Published anyway: the same warnings as the admin's checklist.
            job.breach.refresh_from_db()
            for missing in breach_readiness(job.breach).missing:
                self.stderr.write(f"Published, but: {missing}")

    def _wait(self, job: ImportJob, timeout: float) -> ImportJob:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.finished:
                return job
            time.sleep(0.2)
        raise CommandError(
            f"Import job {job.pk} did not finish in {timeout:.0f}s; is a worker running?"
        )
