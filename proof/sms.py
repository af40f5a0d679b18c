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
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.module_loading import import_string

from leaks.phones import InvalidPhone, normalize
from leaks.redaction import redact


class SmsError(Exception):
    """The message could not be sent, for now: worth trying again later (the
    provider unreachable, a 5xx). The text never contains the number."""

    def __init__(self, message: str, *, code: str | int | None = None):
        super().__init__(message)
        self.code = code


class SmsThrottled(SmsError):
    """The provider refused for now because of its own per-number frequency caps;
    ``retry_after`` is the seconds to wait before that number can be texted."""

    def __init__(self, message: str, *, retry_after: int, code: str | int | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


class SmsNumberRejected(SmsError):
    """The number can never be texted (invalid, not a mobile, blacklisted): no retry."""


class SmsOperatorError(SmsError):
    """The operator must act (credentials, signature or template not approved, out
    of credit): nothing the visitor can change; alerts wait for the fix."""


# What each kind of text carries. Mainland providers send only approved templates
# whose variables are short and link-free; the names are the templates' variable
# names (Alibaba's TemplateParam keys, in this order Tencent's TemplateParamSet).
TEXT_PARAMS = {
    "code": ("code",),  # the 6 digits alone
    "alert": ("count", "number"),  # how many new breaches; the masked number (139****5678)
}
PARAM_MAX_CHARS = 20


@dataclass(frozen=True)
class Text:
    """One text message: a template kind and its parameters, never a free sentence."""

    kind: str
    params: tuple[str, ...]
    language: str = "zh-hans"

    def __post_init__(self) -> None:
        names = TEXT_PARAMS.get(self.kind)
        if names is None or len(names) != len(self.params):
            raise ValueError(f"a {self.kind!r} text takes the parameters {names}")
        for value in self.params:
            if len(value) > PARAM_MAX_CHARS or "://" in value or "www." in value:
                raise ValueError("a text parameter is short and never a link")

    @property
    def named(self) -> dict[str, str]:
        return dict(zip(TEXT_PARAMS[self.kind], self.params, strict=True))


def send_text(to_e164: str, text: Text) -> str:
    """Send one text; return the provider's serial number for it (the id its
    delivery receipt names). Raises SmsError or one of its kinds."""
    return _backend_for(to_e164).send_text(to_e164, text)


def _backend_for(to_e164: str) -> "FreeTextBackend":
    path = settings.SMS_BACKEND
    if not to_e164.startswith("+86"):
        path = getattr(settings, "SMS_BACKEND_INTERNATIONAL", "") or path
    return import_string(path)()


def send_sms(to_e164: str, body: str) -> str:
    """Send one free-text message (the backends that take one)."""
    backend = import_string(settings.SMS_BACKEND)()
    return backend.send(to_e164, body)


def render_text(text: Text) -> str:
    """A text as one sentence, for the backends that send free text: from the
    local template ``sms/<kind>.txt``, in the text's language."""
    context: dict[str, object] = {
        **text.named,
        "sign_name": settings.SMS_SIGN_NAME,
        "site": settings.SITE_NAME,
        "minutes": max(settings.OWNERSHIP_CODE_TTL_SECONDS // 60, 1),
    }
    with translation.override(text.language):
        return render_to_string(f"sms/{text.kind}.txt", context).strip()


def masked(to_e164: str) -> str:
    try:
        return normalize(to_e164).masked
    except InvalidPhone:
        return "***"


class FreeTextBackend:
    """A backend that sends a sentence: the template is rendered here."""

    def send(self, to_e164: str, body: str) -> str:
        raise NotImplementedError

    def send_text(self, to_e164: str, text: Text) -> str:
        return self.send(to_e164, render_text(text))


class ConsoleBackend(FreeTextBackend):
    """For development: prints the text with a masked number to stdout."""

    def send(self, to_e164: str, body: str) -> str:
        sys.stdout.write(f"--- SMS to {masked(to_e164)} ---\n{body}\n---\n")
        sys.stdout.flush()
        return "console"


class FileBackend(FreeTextBackend):
    """For tests: appends one JSON line per message to ``settings.SMS_FILE_PATH``."""

    def send(self, to_e164: str, body: str) -> str:
        record = {"to": to_e164, "body": body, "sent_at": datetime.now(UTC).isoformat()}
        with open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "file"


class TwilioBackend(FreeTextBackend):
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
