"""No plaintext number may reach the database, the logs or the cache."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from leaks.importer import import_run
from leaks.models import Breach, ImportJob
from tests.conftest import database_text, digits_variants

NUMBERS = ["13800138000", "13900139000", "17012345678"]


def cache_text() -> str:
    if settings.REDIS_URL:
        client = cache._cache.get_client()
        keys = list(client.scan_iter("*"))
        values = [client.dump(key) or b"" for key in keys]
        return b"\n".join(keys + values).decode("latin-1")
    return "\n".join(f"{key}={value!r}" for key, value in cache._cache.items())


@pytest.fixture
def sql_logged():
    connection.force_debug_cursor = True
    yield
    connection.force_debug_cursor = False


@pytest.mark.django_db
def test_no_plaintext_number_in_database_logs_or_cache(tmp_path, client, all_logs, sql_logged):
    dump = tmp_path / "dump.csv"
    dump.write_text("手机号,备注\n" + "\n".join(f"{n},x" for n in NUMBERS) + "\n1380013,bad\n")
    breach = Breach.objects.create(slug="privacy", title="Privacy")
    job = ImportJob.objects.create(breach=breach, file_path=str(dump), source_name="dump.csv")
    assert import_run(job).new == 3

    for typed in ("13800138000", "+86 139 0013 9000", "13700137000", "1380013"):
        client.post("/", {"phone": typed})

    assert any("SELECT" in record.getMessage() for record in all_logs.records)
    haystacks = {"logs": all_logs.text, "database": database_text(), "cache": cache_text()}
    for where, text in haystacks.items():
        for number in NUMBERS + ["13700137000"]:
            for variant in digits_variants(number):
                assert variant not in text, f"{variant} found in {where}"
