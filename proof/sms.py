"""Sending text messages through a backend chosen by ``settings.SMS_BACKEND``.

Backends never log the destination number: a number in a log outlives the
message by years. Errors carry the provider's code and a scrubbed message.
"""

import base64
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime

from django.conf import settings
from django.utils.module_loading import import_string

from leaks.phones import InvalidPhone, normalize
from leaks.redaction import redact


class SmsError(Exception):
    """The message could not be sent. The text never contains the number."""

    def __init__(self, message: str, *, code: str | int | None = None):
        super().__init__(message)
        self.code = code


def send_sms(to_e164: str, body: str) -> str:
    """Send one message; return the backend's message id. Raises SmsError."""
    backend = import_string(settings.SMS_BACKEND)()
    return backend.send(to_e164, body)


def masked(to_e164: str) -> str:
    try:
        return normalize(to_e164).masked
    except InvalidPhone:
        return "***"


class ConsoleBackend:
    """For development: prints the text with a masked number to stdout."""

    def send(self, to_e164: str, body: str) -> str:
        sys.stdout.write(f"--- SMS to {masked(to_e164)} ---\n{body}\n---\n")
        sys.stdout.flush()
        return "console"


class FileBackend:
    """For tests: appends one JSON line per message to ``settings.SMS_FILE_PATH``."""

    def send(self, to_e164: str, body: str) -> str:
        record = {"to": to_e164, "body": body, "sent_at": datetime.now(UTC).isoformat()}
        with open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "file"


class TwilioBackend:
    """Twilio's Messages REST API (POST .../Accounts/{sid}/Messages.json)."""

    def send(self, to_e164: str, body: str) -> str:
        sid = settings.SMS_ACCOUNT_SID
        if not sid or not settings.SMS_AUTH_TOKEN or not settings.SMS_FROM:
            raise SmsError("SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM must be set.")
        base = settings.SMS_API_BASE_URL.rstrip("/")
        url = f"{base}/2010-04-01/Accounts/{urllib.parse.quote(sid)}/Messages.json"
        if not url.startswith(("https://", "http://")):
            raise SmsError("SMS_API_BASE_URL must be an http(s) URL.")
        data = urllib.parse.urlencode({"To": to_e164, "From": settings.SMS_FROM, "Body": body})
        credentials = base64.b64encode(f"{sid}:{settings.SMS_AUTH_TOKEN}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url,
            data=data.encode(),
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_TIMEOUT) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise self._error(exc) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SmsError(f"SMS provider unreachable: {reason}") from None
        except ValueError:
            raise SmsError("SMS provider answered with something that is not JSON.") from None
        if not answer.get("sid"):
            raise SmsError("SMS provider answered without a message sid.")
        return str(answer["sid"])

    def _error(self, exc: urllib.error.HTTPError) -> SmsError:
        try:
            answer = json.loads(exc.read() or b"{}")
        except ValueError:
            answer = {}
        message = redact(str(answer.get("message", exc.reason)))
        code = answer.get("code")
        return SmsError(
            f"SMS provider refused the message (HTTP {exc.code}, code {code}): {message}", code=code
        )
