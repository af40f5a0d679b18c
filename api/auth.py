"""The API key header, checked and counted against the key's own rate limit."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_ratelimit import ALL
from django_ratelimit.core import get_usage
from ninja.security import APIKeyHeader

from api.errors import ApiError
from api.keys import apikey_for_token
from api.models import ApiKey
from leaks.ratelimits import hit, opaque, period_seconds

HEADER = "X-Api-Key"
LOOKUP_GROUP = "api-lookup"


class ApiKeyAuth(APIKeyHeader):
    """Every authenticated request counts, even one that then fails validation."""

    param_name = HEADER

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey:
        if not key:
            raise ApiError(401, "missing_api_key", _("Send your API key in the X-Api-Key header."))
        api_key = apikey_for_token(key)
        if api_key is None:
            raise ApiError(401, "invalid_api_key", _("The API key is wrong or revoked."))
        if hit(request, group=LOOKUP_GROUP, key=api_key.key_hash, rate=api_key.rate):
            raise ApiError(
                429,
                "rate_limited",
                _("Too many lookups with this key; wait before trying again."),
                headers={"Retry-After": str(retry_after(request, api_key))},
            )
        return api_key


def retry_after(request: HttpRequest, api_key: ApiKey) -> int:
    """Seconds until the key's current window ends; the whole period if unknown."""
    usage = get_usage(
        request,
        group=LOOKUP_GROUP,
        key=lambda _group, _request: opaque(api_key.key_hash),
        rate=api_key.rate,
        method=ALL,
    )
    if usage and usage["time_left"] > 0:
        return usage["time_left"]
    return period_seconds(api_key.rate)
