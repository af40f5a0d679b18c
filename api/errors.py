"""One JSON shape for every API error: {"error": code, "message": text, "reason": code|null}."""

import logging

import redis
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError

from api import key_count
from disclosure.counters import GateUnavailable
from disclosure.policy import Decision
from disclosure.responses import gate_closed

log = logging.getLogger(__name__)

CODES_BY_STATUS = {
    400: "invalid_request",
    401: "invalid_api_key",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    429: "rate_limited",
    503: "unavailable",
}


class ErrorOut(Schema):
    error: str = Field(
        description="A stable code: invalid_request, invalid_number, missing_api_key, "
        "invalid_api_key, not_found, rate_limited, unavailable or server_error."
    )
    message: str = Field(description="What went wrong, for people, in the request's language.")
    reason: str | None = Field(
        None,
        description="For invalid_number only: why, as a stable code "
        "(empty, too_short, too_long, invalid, bad_country_code, not_a_number, ...).",
    )


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        reason: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.reason = reason
        self.headers = headers or {}


def rate_limited(decision: Decision) -> ApiError:
    """The gate's refusal as the API's one JSON 429."""
    messages = {
        "key": _("Too many lookups with this key; wait before trying again."),
        "global": _("The API is answering too many lookups; wait before trying again."),
        "number": _(
            "This number has been looked up many times recently; wait before trying again."
        ),
    }
    return ApiError(
        429,
        "rate_limited",
        messages.get(decision.layer, messages["key"]),
        headers={"Retry-After": str(decision.retry_after)},
    )


def invalid_key() -> ApiError:
    return ApiError(401, "invalid_api_key", _("The API key is wrong or revoked."))


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    *,
    reason: str | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    counted = key_count.count(request)
    if counted is None or not counted:
        # Revoked since it was read, or over its limit: the 401 or the 429 the key
        # would have met at authentication.
        error = invalid_key() if counted is None else rate_limited(counted)
        status, code, message, reason = error.status, error.code, error.message, None
        headers = error.headers
    body = {"error": code, "message": str(message), "reason": reason}
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(
            api, request, exc.status, exc.code, exc.message, reason=exc.reason, headers=exc.headers
        )

    @api.exception_handler(ValidationError)
    def invalid_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        # ninja has already dropped the input values, so a number sent in a
        # malformed request is never echoed back.
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg', '')}"
            for error in exc.errors
        )
        return error_response(api, request, 400, "invalid_request", problems)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja's own errors (an unreadable body, for one), in our shape.
        code = CODES_BY_STATUS.get(exc.status_code, "invalid_request")
        return error_response(api, request, exc.status_code, code, str(exc))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, "not_found", _("No such breach."))

    @api.exception_handler(GateUnavailable)
    @api.exception_handler(redis.RedisError)
    def unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
        # The limits cannot be counted (docs/FAIL_SAFE.md): nothing is answered and
        # the key cannot be counted either; a 503 with Retry-After, never a 500.
        return gate_closed(request, exc)

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        # The traceback names the path only; request bodies (numbers) are not logged.
        log.exception("API error on %s", request.path)
        return error_response(api, request, 500, "server_error", _("Something broke on our side."))
