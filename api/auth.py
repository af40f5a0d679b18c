"""The API key header, checked and counted through the disclosure gate."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyHeader

from api.errors import ApiError
from api.keys import apikey_for_token
from api.models import ApiKey
from disclosure.policy import Decision, authorize_api_key

HEADER = "X-Api-Key"


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


class ApiKeyAuth(APIKeyHeader):
    """Every authenticated request counts, even one that then fails validation."""

    param_name = HEADER

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey:
        if not key:
            raise ApiError(401, "missing_api_key", _("Send your API key in the X-Api-Key header."))
        api_key = apikey_for_token(key)
        if api_key is None:
            raise ApiError(401, "invalid_api_key", _("The API key is wrong or revoked."))
        decision = authorize_api_key(request, key_hash=api_key.key_hash, key_rate=api_key.rate)
        if not decision:
            raise rate_limited(decision)
        return api_key
