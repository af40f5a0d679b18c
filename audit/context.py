"""Who is acting right now: set per request by the middleware, read by the signals."""

from collections.abc import Callable
from contextvars import ContextVar

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse

_actor: ContextVar[User | None] = ContextVar("audit_actor", default=None)


def current_actor() -> User | None:
    """The logged-in user of the current request, or None (commands, workers)."""
    return _actor.get()


class AuditActorMiddleware:
    """Remembers request.user for the audit signals; goes after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        token = _actor.set(user if user is not None and user.is_authenticated else None)
        try:
            return self.get_response(request)
        finally:
            _actor.reset(token)
