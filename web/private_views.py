"""The private check over HTTP: the evaluation (JSON in, binary out) and the result page's frame."""

import hashlib
import json
import math

from django.conf import settings
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from disclosure.policy import authorize_evaluation
from disclosure.responses import limit_message
from leaks import data_classes
from leaks.forms import CheckAgainForm
from leaks.hashing import bucket_bits
from leaks.lookups import private_breaches
from leaks.private_check import BadRequest, parse_request, private_answer
from leaks.public_set import VERSION_KEY, public_set

# Large enough that an answer can never be confused with a count of breaches.
COUNT_PLACEHOLDER = 987654321


# No CSRF token: the request changes nothing but rate-limit counters, and the
# command-line client must be able to call it without a page first. A lean view
# (breachcheck/lean.py): it reads no session, user or message and sets no cookie.
@csrf_exempt
@require_POST
def evaluate(request: HttpRequest) -> HttpResponse:
    if settings.RESULTS_REQUIRE_PROOF:
        message = _("This site shows a result only to the holder of the number.")
        return JsonResponse({"error": message}, status=403)
    try:
        payload = json.loads(request.body or b"{}")
        bucket, blinded = parse_request(payload.get("bucket"), payload.get("blinded"))
    except (ValueError, AttributeError) as exc:
        detail = str(exc) if isinstance(exc, BadRequest) else "the body must be a JSON object"
        return JsonResponse({"error": detail}, status=400)
    # Every evaluation is an oracle query: it passes the disclosure gate as a check,
    # which reads the public breaches' version along (one Redis round trip).
    decision = authorize_evaluation(
        request, bucket, pow_payload=payload.get("altcha"), also_read=(VERSION_KEY,)
    )
    if decision.needs_pow:
        message = _("%(why)s Reload the page: your browser then solves a small puzzle first.") % {
            "why": limit_message(decision)
        }
        response = JsonResponse({"error": message, "pow": decision.pow_difficulty}, status=429)
        response["Retry-After"] = str(decision.retry_after)
        return response
    if not decision:
        minutes = max(1, math.ceil(decision.retry_after / 60))
        message = _("Too many checks. Please try again in %(minutes)s minutes.") % {
            "minutes": minutes
        }
        response = JsonResponse({"error": message}, status=429)
        response["Retry-After"] = str(decision.retry_after)
        return response
    # The answer's format: leaks/private_encoding.py (docs/PRIVATE_CHECK.md).
    public = public_set(decision.seen.get(VERSION_KEY))
    answer = HttpResponse(
        private_answer(bucket=bucket, blinded=blinded, public=public),
        content_type="application/octet-stream",
    )
    answer["Cache-Control"] = "no-store"
    return answer


@require_GET
def result_frame(request: HttpRequest) -> HttpResponse:
    """The result page with every public breach in it, hidden: the browser shows
    the ones it matched. The same for everyone (no CSRF token, no session), so it
    says nothing about a number, and browsers and caches keep it: each use is
    revalidated against its ETag, which moves with the public breaches."""
    language = get_language()
    public = public_set()
    key = (language, public.stamp)
    frame = _frames.get(key)
    if frame is None:
        breaches = [
            (breach, [data_classes.label(k) for k in breach.data_classes])
            for breach in private_breaches().order_by(
                F("breach_date").desc(nulls_last=True), "title"
            )
        ]
        context = {
            "breaches": breaches,
            "totals": public.totals,
            "count_placeholder": COUNT_PLACEHOLDER,
            "form_again": CheckAgainForm(),
            "bucket_bits": bucket_bits(),
        }
        page = render_to_string("leaks/private_result.html", context)
        etag = '"' + hashlib.sha256(page.encode()).hexdigest()[:32] + '"'
        frame = _frames[key] = (etag, page)
        while len(_frames) > FRAMES_KEPT:
            _frames.pop(next(iter(_frames)))
    etag, content = frame
    response = get_conditional_response(request, etag=etag) or HttpResponse(content)
    response["ETag"] = etag
    response["Cache-Control"] = "public, no-cache"
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response


# The rendered frames of the last few (language, public breaches) pairs.
FRAMES_KEPT = 8
_frames: dict[tuple[str, str], tuple[str, str]] = {}
