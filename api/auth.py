"""The API key header, checked and counted through the disclosure gate."""

from weakref import WeakKeyDictionary

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyHeader

from api import key_count
from api.errors import ApiError, rate_limited
from api.keys import apikey_and_public_version
from api.models import ApiKey
from disclosure.policy import authorize_api_key

HEADER = "X-Api-Key"

# The public snapshot's version as read with the key (one round trip for both).
_public_versions: WeakKeyDictionary[HttpRequest, str] = WeakKeyDictionary()


def public_version(request: HttpRequest) -> str | None:
    """The public snapshot's version token read when this request's key was, or None."""
    return _public_versions.get(request)


class ApiKeyAuth(APIKeyHeader):
    """Every authenticated request counts, even one that then fails validation.

    ``counted_with_lookup``: the key is counted by the view's own gate call,
    together with the number (api/key_count.py), not here."""

    param_name = HEADER

    def __init__(self, *, counted_with_lookup: bool = False) -> None:
        super().__init__()
        self.counted_with_lookup = counted_with_lookup

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey:
        if not key:
            raise ApiError(401, "missing_api_key", _("Send your API key in the X-Api-Key header."))
        api_key, version = apikey_and_public_version(key)
        if api_key is None:
            raise ApiError(401, "invalid_api_key", _("The API key is wrong or revoked."))
        if version is not None:
            _public_versions[request] = version
        if self.counted_with_lookup:
            key_count.defer(request, api_key)
            return api_key
        decision = authorize_api_key(request, key_hash=api_key.key_hash, key_rate=api_key.rate)
        if not decision:
            raise rate_limited(decision)
        return api_key
