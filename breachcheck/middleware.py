"""Security headers Django does not set itself (it has no built-in CSP before 6.0),
and sessions whose store failing is the gate's 503, not a 500."""

from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse

from disclosure.responses import gate_closed, is_gate_closed, is_gate_failure


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy to every response.

    The policy allows no inline script and no script from other origins, so an
    injected <script> or onclick="..." cannot run.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a session whose store (the Redis of the limits) failed
    answers the gate's 503 instead of the view's response: one that could not be
    read (the view saw it empty: breachcheck/cache_sessions.py) or saved."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        failure = getattr(getattr(request, "session", None), "store_failure", None)
        if failure is not None:
            return response if is_gate_closed(response) else gate_closed(request, failure)
        try:
            return super().process_response(request, response)
        except Exception as exc:
            if is_gate_failure(exc):
                return gate_closed(request, exc)
            raise
