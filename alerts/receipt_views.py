"""The providers post delivery receipts here (alerts/receipts.py says what they do).

Each URL carries an unguessable token (SMS_RECEIPT_TOKEN; without one the
endpoints do not exist) and may be limited to the provider's networks
(SMS_RECEIPT_ALLOWED_NETWORKS). The body names full numbers: it is never
logged, and an error report shows no number (breachcheck/reporting.py).
"""

import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from alerts.receipts import BadReceipt, Receipt, parse_aliyun, parse_tencent, receipts_record
from disclosure.network import address_in, client_ip

log = logging.getLogger(__name__)


@csrf_exempt
def tencent(request: HttpRequest, token: str) -> HttpResponse:
    return _receive(request, token, "tencent", parse_tencent, {"result": 0, "errmsg": "OK"})


@csrf_exempt
def aliyun(request: HttpRequest, token: str) -> HttpResponse:
    return _receive(request, token, "aliyun", parse_aliyun, {"code": 0, "msg": "接收成功"})


def _receive(
    request: HttpRequest,
    token: str,
    provider: str,
    parse: Callable[[Any], list[Receipt]],
    answer: dict,
) -> HttpResponse:
    if request.method != "POST":
        return _unlogged(HttpResponseNotAllowed(["POST"]))
    # The network first, and one 404 for a wrong network or token: an outsider
    # cannot tell a right token from a wrong one.
    expected = settings.SMS_RECEIPT_TOKEN
    outside = settings.SMS_RECEIPT_ALLOWED_NETWORKS and not address_in(
        client_ip(request), settings.SMS_RECEIPT_ALLOWED_NETWORKS
    )
    if outside or not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        return _unlogged(HttpResponse("Not found.\n", status=404, content_type="text/plain"))
    try:
        receipts = parse(json.loads(request.body))
    except (ValueError, BadReceipt):
        return _unlogged(HttpResponse("Not a receipt.\n", status=400, content_type="text/plain"))
    changed = receipts_record(receipts=receipts)
    log.info(
        "sms receipts from %s: %s reports, %s alerts changed", provider, len(receipts), changed
    )
    return JsonResponse(answer, json_dumps_params={"ensure_ascii": False})


def _unlogged(response: HttpResponse) -> HttpResponse:
    # Django logs a 4xx with its path, and the path holds the token.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
