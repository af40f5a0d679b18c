"""Error reports and logs without phone numbers.

``sensitive_post_parameters`` covers the views that know they take a number;
these pieces also cover the code that forgets: POST fields and local variables
that hold a Phone or phone-like digits are hidden in error reports, exception
messages are scrubbed, and a logging filter redacts phone-like digits from
every log line and traceback. Mails printed instead of sent (the embedded
default) pass the same redaction in the web process as in a worker, whose
printed output Celery sends through the logging filter.
"""

import io
import logging
import re
from collections.abc import ItemsView
from types import FrameType
from typing import Any

from django.core.mail.backends.console import EmailBackend as PlainConsoleEmailBackend
from django.core.mail.message import EmailMessage
from django.http import HttpRequest
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from leaks.phones import Phone
from leaks.redaction import looks_like_phone, redact

_FIELDS = {"phone", "number", "code", "contact", "email", "password"}


class PrivateExceptionReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        r"API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|PEPPER|DATABASE_URL|REDIS_URL",
        flags=re.IGNORECASE,
    )

    def get_post_parameters(self, request: HttpRequest | None) -> dict[str, Any]:
        params = super().get_post_parameters(request)
        if not params:
            return params
        params = params.copy()
        for name in params:
            if name.lower() in _FIELDS or looks_like_phone(params.get(name, "")):
                params[name] = self.cleansed_substitute
        return params

    def get_traceback_frame_variables(
        self, request: HttpRequest | None, tb_frame: FrameType
    ) -> ItemsView[str, Any]:
        return {
            name: self.cleansed_substitute if self._holds_number(name, value) else value
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        }.items()

    def _holds_number(self, name: str, value: object) -> bool:
        if name.lower() in _FIELDS or isinstance(value, Phone):
            return True
        if isinstance(value, str | bytes | int | list | tuple | dict):
            return looks_like_phone(value)
        # Any other object is shown by its repr (an SDK's request prints its JSON).
        try:
            return looks_like_phone(repr(value))
        except Exception:
            return True


class PrivateExceptionReporter(ExceptionReporter):
    """Scrubs the exception message, which code may build from a number."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        if data.get("exception_value"):
            data["exception_value"] = redact(str(data["exception_value"]))
        if data.get("exception_notes"):
            data["exception_notes"] = redact(str(data["exception_notes"]))
        for frame in data.get("frames", []):
            if frame.get("exc_cause"):
                frame["exc_cause"] = redact(str(frame["exc_cause"]))
        return data


class RedactNumbersFilter(logging.Filter):
    """A last line of defence on every log handler: no phone-like digits get out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class ConsoleEmailBackend(PlainConsoleEmailBackend):
    """Prints mails as Django's console backend does, with addresses and numbers
    redacted as in the logs: a development mail shows its text and links, not
    whom it was for."""

    def write_message(self, message: EmailMessage) -> None:
        stream, self.stream = self.stream, io.StringIO()
        try:
            super().write_message(message)
            text = self.stream.getvalue()
        finally:
            self.stream = stream
        self.stream.write(redact(text))
