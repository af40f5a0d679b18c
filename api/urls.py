from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.translation import gettext as _

from api.v1 import api


def unknown_path(request: HttpRequest, rest: str) -> JsonResponse:
    """Unknown API paths answer in the API's error shape, not with an HTML page."""
    body = {"error": "not_found", "message": _("No such API path."), "reason": None}
    return JsonResponse(body, status=404)


urlpatterns = [
    path("v1/", api.urls),
    path("v1/<path:rest>", unknown_path),
]
