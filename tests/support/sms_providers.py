"""Local stand-ins for Tencent Cloud SMS and Alibaba Cloud SMS.

Real HTTP servers on 127.0.0.1 that the providers' official SDKs talk to
(through SMS_ENDPOINT). Each one verifies the request's signature with its
test secret, written here from the providers' documented algorithms and not
from the SDKs' code:

- Tencent, TC3-HMAC-SHA256 (TencentCloud API 3.0, "签名方法 v3"):
  a canonical request (method, URI, query, the signed headers lowercased,
  the payload's SHA-256), then a key derived from "TC3" + SecretKey through
  the date, the service and "tc3_request".
- Alibaba, ACS3-HMAC-SHA256 ("V3版本请求体&签名机制",
  https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature):
  a canonical request (method, URI, the RFC 3986-encoded sorted query, the
  signed headers, which must hold host and every x-acs-* header, the
  payload's SHA-256), signed with HMAC-SHA256 under the AccessKey secret.

A wrong signature, an unknown key or a stale timestamp gets the provider's own
authentication error. They answer success, throttling, an invalid number and
more, chosen per destination number (``answer``) or for every request
(``fail_all``), record what they were asked to send (template, parameters,
signature), and post delivery receipts back in each provider's format.
"""

import hashlib
import hmac
import json
import secrets
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.local_http import QuietHandler, serve, stop

SIGN_NAME = "泄露查"
MESSAGES = {
    "LimitExceeded.DeliveryFrequencyLimit": "delivery frequency limit",
    "LimitExceeded.PhoneNumberDailyLimit": "the daily limit of this number is reached",
    "InvalidParameterValue.IncorrectPhoneNumber": "incorrect phone number",
    "FailedOperation.PhoneNumberInBlacklist": "the number is in the blacklist",
    "FailedOperation.InsufficientBalanceInSmsPackage": "insufficient balance",
    "isv.BUSINESS_LIMIT_CONTROL": "触发天级流控Permits:10",
    "isv.DAY_LIMIT_CONTROL": "触发日发送限额",
    "isv.MOBILE_NUMBER_ILLEGAL": "非法手机号",
    "isv.AMOUNT_NOT_ENOUGH": "账户余额不足",
}


@dataclass
class Sent:
    """One text the stand-in accepted (or refused, with its code)."""

    number: str  # E.164, as the stand-in understood the request
    template: str
    params: dict[str, str]
    sign_name: str
    serial: str
    code: str = "OK"


@dataclass
class Standin:
    key_id: str
    secret: str
    templates: dict[str, tuple[str, ...]]  # approved template id -> its variables
    provider: str = ""
    sent: list[Sent] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    auth_failures: list[str] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)  # E.164 -> error code
    fail_all: str | None = None
    unapproved: set[str] = field(default_factory=set)  # templates or signatures in review
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None, "the stand-in is not running"
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, number: str, code: str) -> None:
        """Answer ``code`` for texts to this number (E.164)."""
        self.outcomes[number] = code

    @property
    def delivered(self) -> list[Sent]:
        return [s for s in self.sent if s.code == "OK"]

    def start(self) -> "Standin":
        standin = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, payload, content_type = standin.handle(self, body)
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = serve(Handler)
        return self

    def stop(self) -> None:
        stop(self.server)

    def handle(self, request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, Any, str]:
        raise NotImplementedError

    def outcome(self, number: str) -> str:
        return self.fail_all or self.outcomes.get(number, "OK")

    def post_receipts(self, url: str, sent: list[Sent] | None = None, **fields: Any) -> tuple:
        """POST this provider's delivery receipts for ``sent`` (default: every text
        delivered) to ``url``; ``fields`` override each receipt's fields."""
        items = [{**self.receipt(s), **fields} for s in (self.delivered if sent is None else sent)]
        request = urllib.request.Request(  # noqa: S310 - a test URL on the loopback
            url,
            data=json.dumps(items, ensure_ascii=False).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def receipt(self, sent: Sent) -> dict[str, Any]:
        raise NotImplementedError


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


_AUTH_FIELDS = {"Credential", "SignedHeaders", "Signature"}


def _auth_fields(header: str) -> tuple[str, dict[str, str]]:
    algorithm, _, rest = header.partition(" ")
    parts = [item.strip().split("=", 1) for item in rest.split(",") if "=" in item]
    return algorithm, {key: value for key, value in parts}


class TencentStandin(Standin):
    """Tencent Cloud SMS API 3.0 (sms.tencentcloudapi.com): SendSms and
    DescribeSmsTemplateList of version 2021-01-11."""

    app_id = "1400000001"

    def __init__(self) -> None:
        super().__init__(
            key_id="AKIDstandin" + "0" * 25,
            secret="standin-tencent-secret",
            templates={"1000001": ("code",), "1000002": ("count", "number")},
            provider="tencent",
        )

    def handle(self, request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, Any, str]:
        action = request.headers.get("X-TC-Action", "")
        self.actions.append(action)
        refused = self.verify(request, body)
        if refused:
            self.auth_failures.append(refused)
            return self.error(refused, "The provided credentials could not be validated.")
        if request.headers.get("X-TC-Version") != "2021-01-11":
            return self.error("InvalidParameter", "unknown version")
        params = json.loads(body or b"{}")
        if action == "SendSms":
            return self.send_sms(params)
        if action == "DescribeSmsTemplateList":
            return self.templates_status(params)
        return self.error("InvalidAction", f"unknown action {action}")

    def verify(self, request: BaseHTTPRequestHandler, body: bytes) -> str:
        """'' when the TC3-HMAC-SHA256 signature holds, else Tencent's error code."""
        algorithm, auth = _auth_fields(request.headers.get("Authorization", ""))
        if algorithm != "TC3-HMAC-SHA256" or not set(auth) >= _AUTH_FIELDS:
            return "AuthFailure.SignatureFailure"
        key_id, date, service, terminal = (auth["Credential"].split("/") + ["", "", "", ""])[:4]
        if key_id != self.key_id:
            return "AuthFailure.SecretIdNotFound"
        timestamp = int(request.headers.get("X-TC-Timestamp", "0"))
        if abs(time.time() - timestamp) > 300:
            return "AuthFailure.SignatureExpire"
        day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
        signed = auth["SignedHeaders"].split(";")
        if date != day or terminal != "tc3_request" or not {"content-type", "host"} <= set(signed):
            return "AuthFailure.SignatureFailure"
        path, _, query = request.path.partition("?")
        headers = "".join(
            f"{name}:{(request.headers.get(name) or '').strip().lower()}\n" for name in signed
        )
        canonical = "\n".join(
            [request.command, path, query, headers, ";".join(signed), _sha256(body)]
        )
        scope = f"{date}/{service}/tc3_request"
        to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope, _sha256(canonical.encode())])
        key = _hmac(("TC3" + self.secret).encode(), date)
        key = _hmac(_hmac(key, service), "tc3_request")
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, auth["Signature"]):
            return "AuthFailure.SignatureFailure"
        return ""

    def error(self, code: str, message: str) -> tuple[int, Any, str]:
        payload = {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": _id()}}
        return 200, payload, "application/json"

    def send_sms(self, params: dict[str, Any]) -> tuple[int, Any, str]:
        if params.get("SmsSdkAppId") != self.app_id:
            return self.error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId not exist")
        sign = params.get("SignName", "")
        if sign != SIGN_NAME or sign in self.unapproved:
            return self.error("FailedOperation.SignatureIncorrectOrUnapproved", "unapproved")
        template = str(params.get("TemplateId", ""))
        if template not in self.templates or template in self.unapproved:
            return self.error("FailedOperation.TemplateIncorrectOrUnapproved", "unapproved")
        values = [str(v) for v in params.get("TemplateParamSet") or []]
        names = self.templates[template]
        if len(values) != len(names):
            return self.error(
                "FailedOperation.TemplateParamSetNotMatchApprovedTemplate", "parameters"
            )
        statuses = []
        for number in params.get("PhoneNumberSet") or []:
            code = self.outcome(number)
            if code != "OK" and not code.startswith(("LimitExceeded.", "Invalid", "Failed")):
                return self.error(code, MESSAGES.get(code, code))
            serial = f"2433:{secrets.randbelow(10**28):028d}" if code == "OK" else ""
            # A refusal's message may name the number: the backend must scrub it.
            message = "send success" if code == "OK" else f"{MESSAGES.get(code, code)}: {number}"
            self.sent.append(
                Sent(number, template, dict(zip(names, values, strict=True)), sign, serial, code)
            )
            statuses.append(
                {
                    "SerialNo": serial,
                    "PhoneNumber": number,
                    "Fee": 1 if code == "OK" else 0,
                    "SessionContext": "",
                    "Code": "Ok" if code == "OK" else code,
                    "Message": message,
                    "IsoCode": "CN",
                }
            )
        return (
            200,
            {"Response": {"SendStatusSet": statuses, "RequestId": _id()}},
            "application/json",
        )

    def templates_status(self, params: dict[str, Any]) -> tuple[int, Any, str]:
        found = [
            {
                "TemplateId": int(t),
                "International": 0,
                "StatusCode": -1 if str(t) in self.unapproved else 0,
                "ReviewReply": "",
                "TemplateName": "breachcheck",
                "CreateTime": 1796659200,
                "TemplateContent": "",
            }
            for t in params.get("TemplateIdSet") or []
            if str(t) in self.templates
        ]
        payload = {"Response": {"DescribeTemplateStatusSet": found, "RequestId": _id()}}
        return 200, payload, "application/json"

    def receipt(self, sent: Sent) -> dict[str, Any]:
        # 短信下发状态通知: a JSON array of these, answered {"result": 0, "errmsg": "OK"}.
        return {
            "user_receive_time": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "nationcode": "86",
            "mobile": sent.number.removeprefix("+86"),
            "report_status": "SUCCESS",
            "errmsg": "DELIVRD",
            "description": "用户短信送达成功",
            "sid": sent.serial,
        }


class AliyunStandin(Standin):
    """Alibaba Cloud SMS (dysmsapi.aliyuncs.com, 2017-05-25): SendSms,
    QuerySmsSign and QuerySmsTemplate."""

    def __init__(self) -> None:
        super().__init__(
            key_id="LTAIstandin000000000000",
            secret="standin-aliyun-secret",
            templates={"SMS_100000001": ("code",), "SMS_100000002": ("count", "number")},
            provider="aliyun",
        )
        self.nonces: set[str] = set()

    def handle(self, request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, Any, str]:
        action = request.headers.get("x-acs-action", "")
        self.actions.append(action)
        refused = self.verify(request, body)
        if refused:
            self.auth_failures.append(refused)
            status = 404 if refused.startswith("InvalidAccessKeyId") else 400
            return self.error(refused, "Specified signature does not match.", status)
        if request.headers.get("x-acs-version") != "2017-05-25":
            return self.error("InvalidVersion", "Specified parameter Version is not valid.", 400)
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.path).query))
        query.update(urllib.parse.parse_qsl(body.decode()))
        if action == "SendSms":
            return self.send_sms(query)
        if action == "QuerySmsSign":
            name = query.get("SignName", "")
            status = 2 if name in self.unapproved else 1
            if name != SIGN_NAME:
                return self.error("isv.SMS_SIGNATURE_ILLEGAL", "签名不合法")
            return self.ok({"SignName": name, "SignStatus": status, "Reason": ""})
        if action == "QuerySmsTemplate":
            code = query.get("TemplateCode", "")
            if code not in self.templates:
                return self.error("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法")
            status = 2 if code in self.unapproved else 1
            return self.ok({"TemplateCode": code, "TemplateStatus": status, "Reason": ""})
        return self.error("InvalidAction.NotFound", "Specified api is not found", 404)

    def verify(self, request: BaseHTTPRequestHandler, body: bytes) -> str:
        """'' when the ACS3-HMAC-SHA256 signature holds, else Alibaba's error code."""
        algorithm, auth = _auth_fields(request.headers.get("Authorization", ""))
        if algorithm != "ACS3-HMAC-SHA256" or not set(auth) >= _AUTH_FIELDS:
            return "IncompleteSignature"
        if auth["Credential"] != self.key_id:
            return "InvalidAccessKeyId.NotFound"
        stamp = request.headers.get("x-acs-date", "")
        try:
            when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return "InvalidTimeStamp.Format"
        if abs(time.time() - when.timestamp()) > 900:
            return "InvalidTimeStamp.Expired"
        nonce = request.headers.get("x-acs-signature-nonce", "")
        if not nonce or nonce in self.nonces:
            return "SignatureNonceUsed"
        self.nonces.add(nonce)
        if request.headers.get("x-acs-content-sha256") != _sha256(body):
            return "SignatureDoesNotMatch"
        signed = auth["SignedHeaders"].split(";")
        present = {name.lower() for name in request.headers}
        required = {"host"} | {n for n in present if n.startswith("x-acs-")}
        if "content-type" in present:
            required.add("content-type")
        if not required <= set(signed) or signed != sorted(signed):
            return "SignatureDoesNotMatch"
        url = urllib.parse.urlsplit(request.path)
        pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        encoded = sorted((_rfc3986(k), _rfc3986(v)) for k, v in pairs)
        query = "&".join(f"{k}={v}" for k, v in encoded)
        headers = "".join(
            f"{name}:{(request.headers.get(name) or '').strip()}\n" for name in signed
        )
        canonical = "\n".join(
            [request.command, url.path or "/", query, headers, ";".join(signed), _sha256(body)]
        )
        to_sign = "ACS3-HMAC-SHA256\n" + _sha256(canonical.encode())
        expected = hmac.new(self.secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, auth["Signature"]):
            return "SignatureDoesNotMatch"
        return ""

    def ok(self, fields: dict[str, Any]) -> tuple[int, Any, str]:
        return 200, {"Code": "OK", "Message": "OK", "RequestId": _id(), **fields}, _ALIYUN_JSON

    def error(self, code: str, message: str, status: int = 200) -> tuple[int, Any, str]:
        # Business errors come back as HTTP 200 with their Code; authentication as 4xx.
        payload = {"Code": code, "Message": message, "RequestId": _id()}
        if status != 200:
            payload.update(HostId="dysmsapi.aliyuncs.com", Recommend="")
        return status, payload, _ALIYUN_JSON

    def send_sms(self, query: dict[str, str]) -> tuple[int, Any, str]:
        sign = query.get("SignName", "")
        if sign != SIGN_NAME or sign in self.unapproved:
            return self.error("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        template = query.get("TemplateCode", "")
        if template not in self.templates or template in self.unapproved:
            return self.error("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            params = json.loads(query.get("TemplateParam") or "{}")
        except ValueError:
            return self.error("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if not isinstance(params, dict) or set(params) != set(self.templates[template]):
            return self.error("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
        national = query.get("PhoneNumbers", "")
        number = "+86" + national if len(national) == 11 else "+" + national
        code = self.outcome(number)
        if code == "OK" and not (len(national) == 11 and national.startswith("1")):
            code = "isv.MOBILE_NUMBER_ILLEGAL"
        serial = f"{secrets.randbelow(10**18):018d}^0" if code == "OK" else ""
        self.sent.append(Sent(number, template, params, sign, serial, code))
        if code in _ALIYUN_AUTH:
            return self.error(code, MESSAGES.get(code, code), _ALIYUN_AUTH[code])
        if code != "OK":
            return self.error(code, f"{MESSAGES.get(code, code)} {national}")
        return self.ok({"BizId": serial})

    def receipt(self, sent: Sent) -> dict[str, Any]:
        # SmsReport by HTTP batch push: a JSON array of these, answered {"code": 0, "msg": "成功"}.
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        return {
            "phone_number": sent.number.removeprefix("+86"),
            "send_time": now,
            "report_time": now,
            "success": True,
            "err_code": "DELIVERED",
            "err_msg": "用户接收成功",
            "sms_size": "1",
            "biz_id": sent.serial,
            "out_id": "",
        }


_ALIYUN_JSON = "application/json;charset=utf-8"
# Authentication errors come back with an HTTP error status, not 200.
_ALIYUN_AUTH = {"SignatureDoesNotMatch": 400, "InvalidAccessKeyId.NotFound": 404}


def _rfc3986(value: str) -> str:
    return urllib.parse.quote(value, safe="-_.~")


def _id() -> str:
    return str(uuid.uuid4())
