"""What the mainland SMS providers' error codes mean for the site.

Pure functions from a provider's code (and message) to a kind: throttled for a
while (the provider's own caps per number), the number rejected for good, an
error the operator must fix (credentials, signature, template, credit), or a
transient failure worth retrying. proof/sms.py turns a kind into its exception.

Tencent Cloud: https://cloud.tencent.com/document/api/382/59177 (SMS API 3.0 error
codes); Alibaba Cloud: https://help.aliyun.com/document_detail/101346.html.
"""

from dataclasses import dataclass

THROTTLED = "throttled"
REJECTED = "rejected"
OPERATOR = "operator"
TRANSIENT = "transient"

# Until the end of the Asia/Shanghai day: the providers' daily caps reset then.
UNTIL_MIDNIGHT = -1
MINUTE = 60
HOUR = 3600


@dataclass(frozen=True)
class Kind:
    kind: str
    retry_after: int = 0  # seconds, or UNTIL_MIDNIGHT; for THROTTLED only


# Tencent's caps per number (the console's 频率限制策略).
_TENCENT_THROTTLED = {
    "LimitExceeded.DeliveryFrequencyLimit": MINUTE,
    "LimitExceeded.PhoneNumberThirtySecondLimit": MINUTE,
    "LimitExceeded.PhoneNumberOneHourLimit": HOUR,
    "LimitExceeded.PhoneNumberDailyLimit": UNTIL_MIDNIGHT,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": UNTIL_MIDNIGHT,
}
_TENCENT_REJECTED = {
    "InvalidParameterValue.IncorrectPhoneNumber",
    "FailedOperation.PhoneNumberInBlacklist",
    "FailedOperation.PhoneNumberParseFail",
    "UnsupportedOperation.UnsupportedRegion",
}
# Everything the operator sets up or pays for: credentials, the app, signature,
# templates, the package's balance, the console's site-wide caps.
_TENCENT_OPERATOR = (
    "AuthFailure",
    "UnauthorizedOperation",
    "FailedOperation",
    "InvalidParameter",
    "MissingParameter",
    "UnsupportedOperation",
    "LimitExceeded",
)
# The SDK's own codes for a request that did not get an answer.
_TENCENT_TRANSIENT = {"ClientNetworkError", "ServerNetworkError", "RequestLimitExceeded"}


def tencent(code: str) -> Kind:
    if code in _TENCENT_THROTTLED:
        return Kind(THROTTLED, _TENCENT_THROTTLED[code])
    if code in _TENCENT_REJECTED:
        return Kind(REJECTED)
    if code in _TENCENT_TRANSIENT or code.startswith("InternalError"):
        return Kind(TRANSIENT)
    if code.split(".")[0] in _TENCENT_OPERATOR:
        return Kind(OPERATOR)
    return Kind(TRANSIENT)


_ALIYUN_REJECTED = {"isv.MOBILE_NUMBER_ILLEGAL"}
_ALIYUN_OPERATOR_PREFIXES = (
    "isv.",  # the account, signature, templates, parameters, balance (isv.AMOUNT_NOT_ENOUGH)
    "isp.RAM_PERMISSION_DENY",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "InvalidTimeStamp",
    "SignatureNonceUsed",
    "Forbidden",
    "MissingParameter",
    "InvalidParameter",
)


def aliyun(code: str, message: str = "") -> Kind:
    if code == "isv.BUSINESS_LIMIT_CONTROL":
        # "触发分钟级流控Permits:1", "触发小时级流控Permits:5", "触发天级流控Permits:10"
        if "天级" in message or "day" in message.lower():
            return Kind(THROTTLED, UNTIL_MIDNIGHT)
        if "分钟级" in message or "minute" in message.lower():
            return Kind(THROTTLED, MINUTE)
        return Kind(THROTTLED, HOUR)
    if code == "isv.DAY_LIMIT_CONTROL":
        return Kind(THROTTLED, UNTIL_MIDNIGHT)
    if code in _ALIYUN_REJECTED:
        return Kind(REJECTED)
    if code.startswith(_ALIYUN_OPERATOR_PREFIXES):
        return Kind(OPERATOR)
    return Kind(TRANSIENT)
