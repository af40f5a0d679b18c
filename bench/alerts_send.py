"""Benchmark alerts: matching an import's new exposures against subscriptions, and
sending through the exactly-once claims to a local SMTP server.

Runs on a throw-away database of its own (SQLite, or PostgreSQL with DATABASE_URL):

    .venv/bin/python bench/alerts_send.py --exposures 200000 --subscriptions 20000 --emails 300
"""

import argparse
import logging
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from alerts import crypto, sending  # noqa: E402
from alerts.models import AlertDelivery, Subscription  # noqa: E402
from alerts.services import deliveries_create_for_job  # noqa: E402
from leaks.hashing import current_version, phone_hash, phone_key  # noqa: E402
from leaks.models import Breach, Exposure, ImportJob, NewExposure  # noqa: E402
from tests.smtp_server import SmtpServer  # noqa: E402


def _store(breach: Breach, job: ImportJob, version: int, keys: list[int]) -> None:
    """As the importer's merge leaves them: in the breach, and noted as new for the job."""
    Exposure.objects.bulk_create(
        Exposure(breach=breach, phone_key=key, key_version=version) for key in keys
    )
    NewExposure.objects.bulk_create(
        NewExposure(job=job, phone_key=key, key_version=version) for key in keys
    )


def fill(exposures: int, subscriptions: int, matching: int, rng: random.Random) -> ImportJob:
    version = current_version()
    breach = Breach.objects.create(slug="bench", title="Bench")
    job = ImportJob.objects.create(
        breach=breach, source_name="bench", file_path="-", status="done", finished_at=timezone.now()
    )
    numbers = [f"+86138{n:08d}" for n in rng.sample(range(10**8), exposures + subscriptions)]
    batch = []
    for e164 in numbers[:exposures]:
        batch.append(phone_key(e164))
        if len(batch) == 10000:
            _store(breach, job, version, batch)
            batch = []
    _store(breach, job, version, batch)
    # `matching` subscribers watch numbers of this import, the rest watch others.
    watched = numbers[:matching] + numbers[exposures : exposures + subscriptions - matching]
    sealed = crypto.seal({"to": "bench@example.com", "masked": "b***@example.com", "number": "-"})
    earlier = timezone.now() - timezone.timedelta(hours=1)
    rows = [
        Subscription(
            phone_hash=phone_hash(e164),
            key_version=version,
            channel="email",
            contact_sealed=sealed,
            contact_hash=crypto.contact_hash("email", f"s{i}@example.com"),
            contact_key_version=version,
            language="en",
            confirmed_at=earlier,
        )
        for i, e164 in enumerate(watched)
    ]
    Subscription.objects.bulk_create(rows, batch_size=5000)
    return job


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--exposures", type=int, default=100000)
    parser.add_argument("--subscriptions", type=int, default=10000)
    parser.add_argument("--emails", type=int, default=200)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    rng = random.Random(1)

    settings_dict = connection.settings_dict
    old_name = settings_dict["NAME"]
    settings_dict["TEST"]["NAME"] = (
        str(Path(settings.TEST_DATA_DIR) / "bench-alerts.sqlite3")
        if connection.vendor == "sqlite"
        else f"{old_name}_bench_alerts"
    )
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.ALERTS_EMAIL_RATE = "1000000/m"
    try:
        start = time.perf_counter()
        job = fill(args.exposures, args.subscriptions, args.emails, rng)
        print(
            f"{connection.vendor}: {args.exposures} new exposures, {args.subscriptions} "
            f"subscriptions (filled in {time.perf_counter() - start:.1f} s)"
        )
        start = time.perf_counter()
        created = deliveries_create_for_job(job=job)
        elapsed = time.perf_counter() - start
        print(f"match import against subscriptions: {created} alerts in {elapsed * 1000:.0f} ms")
        assert created == args.emails

        start = time.perf_counter()
        sent = 0
        while True:
            report = sending.deliveries_send_due(limit=settings.ALERTS_BATCH_SIZE)
            sent += report.sent
            if not report.sent:
                break
        elapsed = time.perf_counter() - start
        assert sent == args.emails == len(server.messages)
        assert AlertDelivery.objects.filter(status="sent").count() == args.emails
        print(
            f"send {sent} alert emails (claim, render, SMTP, mark sent): {elapsed:.2f} s, "
            f"{sent / elapsed:.0f} per second, {elapsed / sent * 1000:.1f} ms each"
        )
    finally:
        server.stop()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
