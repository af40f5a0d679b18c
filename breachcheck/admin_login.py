"""The admin's login behind the admin-login limits (disclosure/policy.py)."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.debug import sensitive_post_parameters

from disclosure.counters import GateUnavailable
from disclosure.policy import authorize_admin_login
from disclosure.responses import ADMIN_CLOSED_MESSAGE, gate_closed, too_many_requests


@sensitive_post_parameters("password")
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own login view behind the admin-login limits."""
    from django.contrib import admin

    if request.method == "POST":
        try:
            decision = authorize_admin_login(request, request.POST.get("username", ""))
        except GateUnavailable as exc:
            # Attempts cannot be counted: no password is tried at all.
            return gate_closed(request, exc, message=str(ADMIN_CLOSED_MESSAGE))
        if not decision:
            return too_many_requests(request, decision)
    return admin.site.login(request)
