"""No plaintext number anywhere after a check or an import; misses look like sensitive hits."""

import logging
import re
import sys

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import RequestFactory, override_settings
from django.views.debug import get_exception_reporter_class

from breachcheck.reporting import RedactNumbersFilter
from imports.importer import import_run
from imports.jobs import import_create
from leaks.models import Breach, ImportJob
from leaks.phones import normalize
from leaks.redaction import redact
from tests.factories import breach_with, import_job
from tests.support.checks import check
from tests.support.privacy_scan import (
    assert_number_nowhere,
    broker_text,
    cache_text,
    database_text,
    digits_variants,
)
from tests.support.workers import purge_queue

IN_BREACH = "13800138000"
SENSITIVE_ONLY = "13700137000"
NOWHERE = "13900139000"
NUMBERS = ["13800138000", "13900139000", "17012345678"]


@pytest.fixture
def sql_logged():
    connection.force_debug_cursor = True
    yield
    connection.force_debug_cursor = False


@pytest.mark.slow
@pytest.mark.django_db
def test_no_plaintext_number_in_database_logs_or_cache(tmp_path, client, all_logs, sql_logged):
    dump = tmp_path / "dump.csv"
    dump.write_text("手机号,备注\n" + "\n".join(f"{n},x" for n in NUMBERS) + "\n1380013,bad\n")
    breach = Breach.objects.create(slug="privacy", title="Privacy")
    job = import_job(breach, dump)
    assert import_run(job).new == 3

    for typed in ("13800138000", "+86 139 0013 9000", "13700137000", "1380013"):
        client.post("/", {"phone": typed})

    assert any("SELECT" in record.getMessage() for record in all_logs.records)
    haystacks = {"logs": all_logs.text, "database": database_text(), "cache": cache_text()}
    for where, text in haystacks.items():
        for number in NUMBERS + ["13700137000"]:
            for variant in digits_variants(number):
                assert variant not in text, f"{variant} found in {where}"


@pytest.mark.slow
@pytest.mark.django_db
@override_settings(RATELIMIT_CHECK_PER_IP="2/h")
def test_a_check_leaves_no_number_in_logs_database_cache_or_session(client, all_logs):
    breach_with("shop", [IN_BREACH])
    breach_with("clinic", [SENSITIVE_ONLY], is_sensitive=True)
    assert check(client, IN_BREACH).status_code == 200
    assert check(client, "+86 137 0013 7000").status_code == 200
    assert client.post("/", {"phone": NOWHERE}).status_code == 429
    assert client.post("/", {"phone": "138001380"}).status_code == 400  # invalid: logged as 400

    assert cache_text(), "the rate-limit counters should be in the cache"
    assert "Too Many Requests" in all_logs.text
    assert_number_nowhere(
        [IN_BREACH, SENSITIVE_ONLY, NOWHERE, "138001380"], logs=all_logs, client=client
    )


@pytest.mark.django_db(transaction=True)
def test_an_import_leaves_no_number_in_the_broker_logs_or_database(tmp_path, all_logs):
    purge_queue()
    dump = tmp_path / "members.csv"
    dump.write_text(f"name,mobile\nZhang,{IN_BREACH}\nLi,{NOWHERE}\n")
    breach = Breach.objects.create(slug="shop", title="Shop")
    with transaction.atomic():
        job = import_create(breach=breach, path=dump, source_name=dump.name)

    waiting = broker_text()
    assert re.search(rf"\b{job.pk}\b", waiting), "the queued task should carry the job id"
    assert_number_nowhere([IN_BREACH, NOWHERE], logs=all_logs)

    import_run(ImportJob.objects.get(pk=job.pk))
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE
    assert_number_nowhere([IN_BREACH, NOWHERE], logs=all_logs)
    purge_queue()


def _anonymous_view(client, number: str) -> str:
    response = check(client, number)
    assert response.status_code == 200
    text = response.content.decode()
    text = text.replace(normalize(number).masked, "MASKED")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", text)


@pytest.mark.django_db
def test_no_breach_and_only_sensitive_breaches_look_the_same(client):
    breach_with("clinic", [SENSITIVE_ONLY], is_sensitive=True, title="Fertility clinic")
    breach_with("shop", [IN_BREACH])
    nowhere = _anonymous_view(client, NOWHERE)
    sensitive = _anonymous_view(client, SENSITIVE_ONLY)
    assert sensitive == nowhere
    assert "Fertility clinic" not in sensitive
    # A visible breach does change the page: the comparison above can fail.
    assert _anonymous_view(client, IN_BREACH) != nowhere


def _report_of(request, crash, *args) -> str:
    """The error report (text and HTML) Django would make of ``crash(*args)``."""
    try:
        crash(*args)
    except Exception:
        reporter_class = get_exception_reporter_class(request)
        reporter = reporter_class(request, *sys.exc_info(), is_email=False)  # type: ignore[operator]  # django-stubs types the class as an instance
        return reporter.get_traceback_text() + reporter.get_traceback_html()
    raise AssertionError("it did not crash")


def _crash_with_a_number(number: str):
    phone = normalize(number)  # noqa: F841 - a local the error report must hide
    raw = number
    raise ValueError(f"could not handle {raw}")


def test_error_reports_hide_the_number_in_post_locals_and_message():
    request = RequestFactory().post("/", {"phone": IN_BREACH, "note": f"call {IN_BREACH}"})
    text = _report_of(request, _crash_with_a_number, IN_BREACH)
    assert "could not handle" in text
    for variant in digits_variants(IN_BREACH):
        assert variant not in text
    assert settings.BREACHCHECK_PEPPER not in text


def _crash_in_the_sdk(number: str):
    from tencentcloud.sms.v20210111 import models

    request = models.SendSmsRequest()  # noqa: F841 - its repr is JSON with the number
    request.PhoneNumberSet = [number]
    raise RuntimeError("the provider's answer could not be read")


def test_error_reports_hide_a_number_inside_an_sdk_request_object():
    text = _report_of(RequestFactory().post("/prove/"), _crash_in_the_sdk, "+86" + IN_BREACH)
    assert "could not be read" in text
    for variant in digits_variants(IN_BREACH):
        assert variant not in text


def test_the_log_filter_redacts_numbers_but_keeps_counts_and_dates(caplog):
    record = logging.LogRecord(
        "t",
        logging.INFO,
        __file__,
        1,
        "job %s on %s: %s",
        (7, "2026-11-27 14:29", "+86 138 0013 8000"),
        None,
    )
    RedactNumbersFilter().filter(record)
    assert record.getMessage() == "job 7 on 2026-11-27 14:29: [number]"
    assert redact("rows 1000000, tel 8613800138000") == "rows 1000000, tel [number]"
    for written in ("138-0013-8000", "+86-138-0013-8000", "138.0013.8000", "(138) 0013 8000"):
        assert redact(f"x-{written} y") == "x-[number] y"
    assert redact("to ming.li@example.com failed") == "to [address] failed"


def test_every_configured_log_handler_redacts_numbers():
    handlers = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    assert handlers
    assert all(any(isinstance(f, RedactNumbersFilter) for f in h.filters) for h in handlers)


@pytest.mark.django_db
def test_logging_a_number_by_mistake_prints_no_number(capfd):
    logging.getLogger("leaks.anything").warning("lookup failed for %s", "+8613800138000")
    assert "8613800138000" not in capfd.readouterr().err


@pytest.mark.django_db
def test_a_verification_leaves_no_number_in_logs_database_cache_or_session(
    client, all_logs, sms_outbox
):
    breach_with("clinic", [SENSITIVE_ONLY], is_sensitive=True)
    assert client.post("/prove/", {"phone": SENSITIVE_ONLY}).status_code == 302
    code = re.search(r"\b(\d{6})\b", sms_outbox.read_text(encoding="utf-8")).group(1)
    wrong = "000000" if code != "000000" else "111111"
    assert client.post("/prove/code/", {"code": wrong}).status_code == 400
    assert client.post("/prove/code/", {"code": code}).status_code == 302
    assert client.get("/result/").status_code == 200
    # The SMS provider (here a file) is the one place the number must go.
    assert SENSITIVE_ONLY in sms_outbox.read_text(encoding="utf-8")
    assert_number_nowhere([SENSITIVE_ONLY], logs=all_logs, client=client)


def test_djangos_own_loggers_go_through_the_redacting_handler():
    django_logger = logging.getLogger("django")
    consoles = [h for h in django_logger.handlers if h.get_name() == "console"]
    assert consoles and not django_logger.propagate
    assert all(any(isinstance(f, RedactNumbersFilter) for f in h.filters) for h in consoles)
