"""Sending text messages through a backend chosen by ``settings.SMS_BACKEND``.

Backends never log the destination number: a number in a log outlives the
message by years. Errors carry the provider's code and a scrubbed message.
"""

import base64
import ipaddress
import json
import logging
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.module_loading import import_string

from disclosure.policy import shanghai_day_end
from leaks.phones import InvalidPhone, normalize
from leaks.redaction import redact
from proof import provider_errors

logger = logging.getLogger(__name__)


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


def _backend_for(to_e164: str) -> "FreeTextBackend | TemplateBackend":
    path = settings.SMS_BACKEND
    if not to_e164.startswith("+86"):
        path = getattr(settings, "SMS_BACKEND_INTERNATIONAL", "") or path
    return import_string(path)()


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


class TemplateBackend:
    """A mainland provider: it sends an approved template with its parameters,
    under the registered signature, never a sentence of ours."""

    provider = ""
    default_endpoint = ""

    def send_text(self, to_e164: str, text: Text) -> str:
        raise NotImplementedError

    def check(self) -> list[str]:
        """A harmless authenticated call (manage.py sms_check): what it found, or SmsError."""
        raise NotImplementedError

    def template(self, kind: str) -> str:
        template = {"code": settings.SMS_TEMPLATE_CODE, "alert": settings.SMS_TEMPLATE_ALERT}[kind]
        if not template:
            name = "SMS_TEMPLATE_CODE" if kind == "code" else "SMS_TEMPLATE_ALERT"
            raise self.operator(f"{name} is not set.")
        return template

    def credentials(self) -> tuple[str, str]:
        key_id, secret = settings.SMS_ACCESS_KEY_ID, settings.SMS_ACCESS_KEY_SECRET
        if not key_id or not secret:
            raise self.operator("SMS_ACCESS_KEY_ID and SMS_ACCESS_KEY_SECRET must be set.")
        return key_id, secret

    def endpoint(self) -> tuple[str, str]:
        """(protocol, host[:port]) from SMS_ENDPOINT, or the provider's public endpoint.
        Plain http only to the loopback (a local stand-in): a code in clear on a network
        is a code for anyone on the path."""
        url = urllib.parse.urlsplit(settings.SMS_ENDPOINT or self.default_endpoint)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise self.operator("SMS_ENDPOINT must be a URL such as https://host[:port].")
        if url.scheme == "http" and not _loopback(url.hostname):
            raise self.operator("SMS_ENDPOINT may use plain http only on the loopback.")
        return url.scheme, url.netloc

    def operator(self, message: str, code: str | None = None) -> SmsOperatorError:
        # Logged here, once, without the number: the operator must act.
        logger.error("SMS provider %s needs the operator: %s", self.provider, message)
        return SmsOperatorError(message, code=code)

    def error(self, kind: provider_errors.Kind, code: str, message: str) -> SmsError:
        """The contract's exception for a provider's answer; the message scrubbed."""
        text = f"{self.provider} refused the message ({code}): {redact(message)[:300]}"
        if kind.kind == provider_errors.THROTTLED:
            retry = kind.retry_after
            if retry == provider_errors.UNTIL_MIDNIGHT:
                retry = max(60, shanghai_day_end() - int(datetime.now(UTC).timestamp()))
            return SmsThrottled(text, retry_after=retry, code=code)
        if kind.kind == provider_errors.REJECTED:
            return SmsNumberRejected(text, code=code)
        if kind.kind == provider_errors.OPERATOR:
            return self.operator(text, code)
        return SmsError(text, code=code)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


_TENCENT_CANNOT_READ = {
    "FailedOperation.ProhibitSubAccountUse",
    "FailedOperation.NotEnterpriseCertification",
}


class TencentBackend(TemplateBackend):
    """Tencent Cloud SMS: SendSms of API 2021-01-11 through the official SDK, which
    signs with TC3-HMAC-SHA256. One number per request, its own status read back."""

    provider = "tencent"
    default_endpoint = "https://sms.tencentcloudapi.com"

    def client(self) -> object:
        from tencentcloud.common.credential import Credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111.sms_client import SmsClient

        key_id, secret = self.credentials()
        protocol, host = self.endpoint()
        http = HttpProfile(protocol=protocol, endpoint=host, reqTimeout=settings.SMS_TIMEOUT)
        profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http)
        return SmsClient(Credential(key_id, secret), settings.SMS_REGION, profile)

    def call(self, action: str, request: object) -> Any:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )

        try:
            return getattr(self.client(), action)(request)
        except TencentCloudSDKException as exc:
            code = str(exc.get_code() or "")
            message = str(exc.get_message() or "")
            raise self.error(provider_errors.tencent(code), code, message) from None

    def send_text(self, to_e164: str, text: Text) -> str:
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = [to_e164]
        request.SmsSdkAppId = self.app_id()
        request.SignName = settings.SMS_SIGN_NAME
        request.TemplateId = self.template(text.kind)
        request.TemplateParamSet = list(text.params)
        response = self.call("SendSms", request)
        # Success of the request can hide a failed number: read the number's own status.
        statuses = getattr(response, "SendStatusSet", None) or []
        mine = [s for s in statuses if s.PhoneNumber == to_e164] or statuses[:1]
        if len(mine) != 1:
            raise SmsError("tencent answered without the number's status.")
        status = mine[0]
        code = str(status.Code or "")
        if code != "Ok":
            kind = provider_errors.tencent(code)
            raise self.error(kind, code, str(status.Message or ""))
        if not status.SerialNo:
            raise SmsError("tencent answered without a serial number.")
        return str(status.SerialNo)

    def app_id(self) -> str:
        if not settings.SMS_APP_ID:
            raise self.operator("SMS_APP_ID (the SmsSdkAppId) must be set.")
        return settings.SMS_APP_ID

    def check(self) -> list[str]:
        """A harmless authenticated call: the status of the configured templates."""
        from tencentcloud.sms.v20210111 import models

        self.app_id()  # needed to send, though not to read templates
        report = []
        for kind in ("code", "alert"):
            template = self.template(kind)
            request = models.DescribeSmsTemplateListRequest()
            request.TemplateIdSet = [int(template)] if template.isdigit() else []
            request.International = 0
            if not request.TemplateIdSet:
                raise self.operator(f"the {kind} template id {template!r} is not a number.")
            try:
                answer = self.call("DescribeSmsTemplateList", request)
            except SmsOperatorError as exc:
                # Sub-accounts and individual accounts may not read templates: the
                # credentials passed, the console tells the template's status.
                if exc.code in _TENCENT_CANNOT_READ:
                    report.append(
                        f"{kind} template {template}: status readable in the console only"
                    )
                    continue
                raise
            found = getattr(answer, "DescribeTemplateStatusSet", None) or []
            status = found[0].StatusCode if found else None
            if status != 0:
                raise self.operator(f"the {kind} template {template} is not approved ({status}).")
            report.append(f"{kind} template {template}: approved")
        return report


class AliyunBackend(TemplateBackend):
    """Alibaba Cloud SMS (dysmsapi 2017-05-25): SendSms through the official SDK,
    which signs with ACS3-HMAC-SHA256; TemplateParam is a JSON object."""

    provider = "aliyun"
    default_endpoint = "https://dysmsapi.aliyuncs.com"

    def client(self) -> object:
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        key_id, secret = self.credentials()
        protocol, host = self.endpoint()
        timeout_ms = settings.SMS_TIMEOUT * 1000
        config = Config(
            access_key_id=key_id,
            access_key_secret=secret,
            protocol=protocol,
            endpoint=host,
            read_timeout=timeout_ms,
            connect_timeout=timeout_ms,
        )
        return Client(config)

    def call(self, method: str, request: object) -> Any:
        try:
            response = getattr(self.client(), method)(request)
        except SmsError:
            raise
        except Exception as exc:  # the SDK's ClientException, ServerException, network errors
            code = str(getattr(exc, "code", "") or "")
            if not code or getattr(exc, "status_code", None) is None:
                reason = type(getattr(exc, "inner_exception", exc)).__name__
                raise SmsError(f"aliyun unreachable or no answer ({reason}).") from None
            message = str((getattr(exc, "data", None) or {}).get("Message", "") or exc)
            raise self.error(provider_errors.aliyun(code, message), code, message) from None
        body = response.body
        code = str(body.code or "")
        if code != "OK":
            message = str(body.message or "")
            raise self.error(provider_errors.aliyun(code, message), code, message)
        return body

    def send_text(self, to_e164: str, text: Text) -> str:
        from alibabacloud_dysmsapi20170525 import models

        # Mainland numbers as 11 digits; others with their country code, no "+".
        number = to_e164[3:] if to_e164.startswith("+86") else to_e164.lstrip("+")
        request = models.SendSmsRequest(
            phone_numbers=number,
            sign_name=settings.SMS_SIGN_NAME,
            template_code=self.template(text.kind),
            template_param=json.dumps(text.named, ensure_ascii=False),
        )
        body = self.call("send_sms", request)
        if not getattr(body, "biz_id", None):
            raise SmsError("aliyun answered without a BizId.")
        return str(body.biz_id)

    def check(self) -> list[str]:
        """Harmless authenticated calls: the signature's and the templates' status."""
        from alibabacloud_dysmsapi20170525 import models

        sign = self.call(
            "query_sms_sign", models.QuerySmsSignRequest(sign_name=settings.SMS_SIGN_NAME)
        )
        if getattr(sign, "sign_status", None) != 1:
            raise self.operator(f"the signature is not approved ({sign.sign_status}).")
        report = [f"signature {settings.SMS_SIGN_NAME}: approved"]
        for kind in ("code", "alert"):
            template = self.template(kind)
            answer = self.call(
                "query_sms_template", models.QuerySmsTemplateRequest(template_code=template)
            )
            status = getattr(answer, "template_status", None)
            if status != 1:
                raise self.operator(f"the {kind} template {template} is not approved ({status}).")
            report.append(f"{kind} template {template}: approved")
        return report
