"""Delivery receipts of alert texts: the providers' reports, by serial number.

A receipt names the text by the serial number the provider gave when it took
it (Tencent's SerialNo, Alibaba's BizId), which every alert the text carried
recorded. It also carries the full number: that is read past, never logged or
stored; only the outcome is kept (delivered, or failed by the provider with
its status code).

A receipt changes an alert once: "sent" becomes "delivered" or "failed by
provider". A later receipt saying the text was delivered wins over a failure
(carriers report a failure and then a late delivery; the person has the text),
never the other way round, and a repeated receipt changes nothing.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from alerts.models import AlertDelivery, Subscription
from leaks.redaction import redact

log = logging.getLogger(__name__)


class BadReceipt(ValueError):
    """Not a receipt in the provider's format."""


@dataclass(frozen=True)
class Receipt:
    serial: str
    delivered: bool
    code: str = ""  # the carrier's status code, e.g. DELIVRD, MK:0001
    detail: str = ""


def _items(body: Any) -> list[dict]:
    if isinstance(body, dict):  # one report, not wrapped in a list
        body = [body]
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise BadReceipt("a receipt is a JSON array of objects")
    return body


def parse_tencent(body: Any) -> list[Receipt]:
    """Tencent Cloud's status callback: [{sid, report_status, errmsg, description, ...}]."""
    return [
        Receipt(
            serial=str(item.get("sid") or ""),
            delivered=str(item.get("report_status", "")).upper() == "SUCCESS",
            code=str(item.get("errmsg") or ""),
            detail=str(item.get("description") or ""),
        )
        for item in _items(body)
    ]


def parse_aliyun(body: Any) -> list[Receipt]:
    """Alibaba Cloud's HTTP receipt push (SmsReport): [{biz_id, success, err_code, ...}]."""
    return [
        Receipt(
            serial=str(item.get("biz_id") or ""),
            delivered=item.get("success") is True or str(item.get("success")).lower() == "true",
            code=str(item.get("err_code") or ""),
            detail=str(item.get("err_msg") or ""),
        )
        for item in _items(body)
    ]


def _texts(serial: str) -> QuerySet[AlertDelivery]:
    return AlertDelivery.objects.filter(
        provider_id=serial[:100], subscription__channel=Subscription.Channel.SMS
    )


def receipts_record(*, receipts: list[Receipt]) -> int:
    """Mark the alerts each receipt's text carried; the number of alerts changed."""
    now = timezone.now()
    changed = 0
    for receipt in receipts:
        if not receipt.serial:
            continue
        if receipt.delivered:
            changed += (
                _texts(receipt.serial)
                .filter(status__in=[AlertDelivery.Status.SENT, AlertDelivery.Status.UNDELIVERED])
                .update(status=AlertDelivery.Status.DELIVERED, receipt_at=now, last_error="")
            )
        else:
            reason = redact(
                f"The provider could not deliver the text: {receipt.code} {receipt.detail}"
            )
            changed += (
                _texts(receipt.serial)
                .filter(status=AlertDelivery.Status.SENT)
                .update(
                    status=AlertDelivery.Status.UNDELIVERED, receipt_at=now, last_error=reason[:500]
                )
            )
    return changed
