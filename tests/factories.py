"""The one place tests make their objects: breaches, import jobs, dumps, subscriptions, staff.

Objects are made the code's way where the code has one (`import_create`,
`import_run`, `breach_publish`, `subscription_request`), so a test sees what
production stores; only the states a test needs to start from (a job that
finished long ago, a breach whose rows predate the importer) are written directly.
"""

import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.contrib.auth.models import User
from django.utils import timezone

from alerts import crypto, services
from alerts.models import Subscription
from imports.importer import import_run
from imports.jobs import import_create
from leaks.hashing import current_version, phone_key
from leaks.models import Breach, Exposure, ImportJob
from leaks.phones import normalize
from leaks.publishing import breach_publish


def breach_with(slug: str, numbers: list[str], **fields) -> Breach:
    """A breach holding the given numbers, stored as the importer stores them.

    Published unless `published_at=None` is given: a test breach is a public one."""
    fields.setdefault("published_at", timezone.now())
    breach = Breach.objects.create(slug=slug, title=fields.pop("title", slug), **fields)
    Exposure.objects.bulk_create(
        Exposure(
            breach=breach,
            phone_key=phone_key(normalize(number).e164),
            key_version=current_version(),
        )
        for number in numbers
    )
    breach.pwn_count = len(numbers)
    breach.save(update_fields=["pwn_count"])
    return breach


def import_job(
    breach: Breach,
    path: Path | str,
    *,
    source_name: str | None = None,
    delete_file: bool = False,
    options: dict | None = None,
    **state,
) -> ImportJob:
    """An import job recorded by `import_create`, not queued: the test runs it in this
    process (`import_run`). A test about queuing calls `import_create` itself.

    `state` sets what the job reached before the test starts (status, counts, report,
    finished_at), written after creation as a worker would have written it."""
    path = Path(path)
    job = import_create(
        breach=breach,
        path=path,
        source_name=source_name or path.name,
        delete_file=delete_file,
        options=options,
        queue=False,
    )
    if state:
        ImportJob.objects.filter(pk=job.pk).update(**state)
        job.refresh_from_db()
    return job


def dump_job(
    tmp_path: Path, breach: Breach, numbers: list[str], name: str = "dump.csv"
) -> ImportJob:
    """An import job of a CSV dump (phone, name) holding the given numbers."""
    path = tmp_path / name
    path.write_text("手机号,姓名\n" + "".join(f"{n},某人\n" for n in numbers), encoding="utf-8")
    return import_job(breach, path)


def breach_with_numbers(slug: str, numbers: list[str], *, publish: bool = True, **fields) -> Breach:
    """Create a breach and import a CSV of the given numbers into it, in-process;
    then publish it, as an admin would (a breach without numbers cannot be)."""
    fields.setdefault("title", slug.replace("-", " ").title())
    breach = Breach.objects.create(slug=slug, **fields)
    if numbers:
        folder = Path(tempfile.mkdtemp(prefix="bc-dump-"))
        dump = folder / f"{slug}.csv"
        dump.write_text("name,phone\n" + "".join(f"x,{n}\n" for n in numbers))
        import_run(import_job(breach, dump, delete_file=True))
        shutil.rmtree(folder, ignore_errors=True)
        breach.refresh_from_db()
        if publish and breach.pwn_count:
            breach_publish(breach=breach)
    return breach


def subscribe(number: str, *, email: str | None = None, confirmed: bool = True) -> Subscription:
    """A subscription by email (given) or by SMS to the number itself."""
    phone = normalize(number)
    if email:
        channel, contact, masked = "email", email, crypto.mask_email(email)
    else:
        channel, contact, masked = "sms", phone.e164, phone.masked
    subscription = services.subscription_request(
        phone=phone, channel=channel, contact=contact, contact_masked=masked, language="en"
    )
    if confirmed:
        services.subscription_confirm(subscription=subscription)
        # Confirmed a moment before the import, as a real subscriber would be.
        Subscription.objects.filter(pk=subscription.pk).update(
            confirmed_at=timezone.now() - timedelta(minutes=1)
        )
    return subscription


def staff_user(username: str = "admin", **fields) -> User:
    """A staff member who may do everything (pass is_superuser=False for less).

    Without a usable password: tests log staff in with force_login, and hashing one
    costs an Argon2 round per user. Tests of the login itself make their own users."""
    fields.setdefault("is_superuser", True)
    return User.objects.create_user(username, is_staff=True, **fields)


def wait_for_job(job: ImportJob, seconds: float = 180) -> ImportJob:
    """The job once a worker has finished it (done or failed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job.pk} did not finish: {job.status}")
