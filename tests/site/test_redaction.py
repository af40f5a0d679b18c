"""The redaction policy hides numbers and addresses, not task ids or host names,
and a mail printed by the web process reads as the worker's printed one does."""

import io
import logging

from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as PlainConsoleEmailBackend

from breachcheck.reporting import ConsoleEmailBackend, RedactNumbersFilter
from leaks.redaction import ADDRESS, NUMBER, looks_like_phone, redact

TASK_ID = "4610d123-1234-123f-875b-138001380001"


def test_task_ids_and_worker_names_stay_readable():
    line = f"Task alerts.tasks.alerts_match[{TASK_ID}] received by celery@web-1"
    assert redact(line) == line
    assert not looks_like_phone(TASK_ID)
    assert redact("celery@web-1 ready.") == "celery@web-1 ready."
    assert redact("12345678-1234-1234-1234-123456789012 done").startswith("12345678-1234")


def test_numbers_and_deliverable_addresses_are_hidden():
    assert redact(f"[{TASK_ID}] to +86 138 0013 8000") == f"[{TASK_ID}] to {NUMBER}"
    assert redact("To: ming.li@example.com") == f"To: {ADDRESS}"
    assert redact("mail 李明 <li@mail.example.cn> failed") == f"mail 李明 <{ADDRESS}> failed"
    assert redact(f"id {TASK_ID}-13800138000") != f"id {TASK_ID}-13800138000"


def test_every_form_the_normaliser_reads_is_hidden_but_dates_stay():
    for form in [
        "138/0013/8000",
        "138–0013–8000",
        "138 - 0013 - 8000",
        "（138）0013－8000",
        "+86 138 0013 8000",
        "１３８００１３８０００",
    ]:
        assert redact(f"contacts.{form}.name") == f"contacts.{NUMBER}.name", form
    assert (
        redact("2026/11/27 14:29 and 2026-11-27 14:29") == "2026/11/27 14:29 and 2026-11-27 14:29"
    )


def _mail() -> EmailMessage:
    return EmailMessage(
        "Confirm your alerts",
        "Confirm: http://127.0.0.1:8000/alerts/confirm/abc:1kX2/ for 13800138000",
        "比对 <alerts@localhost>",
        ["ming.li@example.com"],
        headers={"Message-ID": "<one@localhost>", "Date": "Mon, 07 Dec 2026 18:00:00 -0000"},
    )


def test_the_web_process_prints_mails_redacted_as_the_worker_does():
    printed = io.StringIO()
    ConsoleEmailBackend(stream=printed).send_messages([_mail()])
    text = printed.getvalue()
    assert "ming.li@example.com" not in text and "13800138000" not in text
    assert f"To: {ADDRESS}" in text
    assert "http://127.0.0.1:8000/alerts/confirm/abc:1kX2/" in text
    assert "alerts@localhost" in text
    # The worker prints with Django's plain backend; Celery sends its stdout
    # through the logging filter, which must give the same text.
    plain = io.StringIO()
    PlainConsoleEmailBackend(stream=plain).send_messages([_mail()])
    assert "ming.li@example.com" in plain.getvalue()
    record = logging.LogRecord(
        "celery.redirected", logging.WARNING, __file__, 1, "%s", (plain.getvalue(),), None
    )
    RedactNumbersFilter().filter(record)
    assert record.getMessage() == text


def test_the_embedded_default_prints_mails_with_the_redacting_backend():
    from breachcheck import settings as project_settings

    assert not project_settings.EMAIL_HOST
    assert project_settings.EMAIL_BACKEND == "breachcheck.reporting.ConsoleEmailBackend"
