"""The gate fails closed: a view that could not reach the shared store of the
limits answers the one 503 (disclosure/responses.py: gate_closed), never a 500
and never an answer. breachcheck/middleware.py does the same for a session
that cannot be saved where sessions live in the same Redis."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from disclosure.responses import gate_closed, is_gate_failure


class GateClosedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_gate_failure(exception):
            return gate_closed(request, exception)
        return None
