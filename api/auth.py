"""The API key header. The key is counted through the disclosure gate by the
lookup itself, or by the error answer of a request that fails before it
(api/key_count.py)."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyHeader

from api import key_count
from api.errors import ApiError, invalid_key
from api.keys import apikey_known
from api.models import ApiKey

HEADER = "X-Api-Key"


class ApiKeyAuth(APIKeyHeader):
    """Every authenticated request counts, even one that then fails validation."""

    param_name = HEADER

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey:
        if not key:
            raise ApiError(401, "missing_api_key", _("Send your API key in the X-Api-Key header."))
        known = apikey_known(key)
        if known is None:
            raise invalid_key()
        key_count.defer(request, known)
        return known.api_key
