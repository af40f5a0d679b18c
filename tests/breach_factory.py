"""Breaches made through the real import pipeline, for catalogue and API tests."""

import shutil
import tempfile
from pathlib import Path

from imports.importer import import_run
from leaks.models import Breach, ImportJob
from leaks.publishing import breach_publish


def breach_with_numbers(slug: str, numbers: list[str], *, publish: bool = True, **fields) -> Breach:
    """Create a breach and import a CSV of the given numbers into it, in-process;
    then publish it, as an admin would (a breach without numbers cannot be)."""
    fields.setdefault("title", slug.replace("-", " ").title())
    breach = Breach.objects.create(slug=slug, **fields)
    if numbers:
        folder = Path(tempfile.mkdtemp(prefix="bc-dump-"))
        dump = folder / f"{slug}.csv"
        dump.write_text("name,phone\n" + "".join(f"x,{n}\n" for n in numbers))
        job = ImportJob.objects.create(
            breach=breach, file_path=str(dump), source_name=dump.name, delete_file=True
        )
        import_run(job)
        shutil.rmtree(folder, ignore_errors=True)
        breach.refresh_from_db()
        if publish and breach.pwn_count:
            breach_publish(breach=breach)
    return breach
