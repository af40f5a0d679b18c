"""The lean views: answered past the middleware they have no use for.

A lean view reads no session, user, message or CSRF token and sets no cookie; the
private check's evaluation is one (web/private_views.py), and every private check
starts with it, so it skips the session, locale, CSRF, authentication, messages
and audit middleware, about a seventh of its cost. What every response needs stays:
the security headers (the middleware above this one), the host check, the
visitor's language for error messages, and the gate's one 503 when the limits
cannot be counted.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import resolve, reverse
from django.utils import translation

from disclosure.responses import gate_closed, is_gate_failure

# URL names of the lean views (each one's view says why it may be).
LEAN_URL_NAMES = ("bc-private-evaluate",)


class LeanViewMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self._views: dict[str, Callable[[HttpRequest], HttpResponse]] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._views is None:
            # On the first request: the URLconf is not loaded when middleware is.
            self._views = {reverse(name): resolve(reverse(name)).func for name in LEAN_URL_NAMES}
        view = self._views.get(request.path_info)
        if view is None:
            return self.get_response(request)
        request.get_host()  # an unknown Host is refused, as CommonMiddleware would
        translation.activate(translation.get_language_from_request(request))
        try:
            return view(request)
        except Exception as exc:
            if is_gate_failure(exc):
                return gate_closed(request, exc)
            raise
