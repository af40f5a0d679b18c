import math

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.debug import sensitive_post_parameters

from leaks import data_classes
from leaks.forms import CheckForm
from leaks.lookups import breaches_for_phone, totals
from leaks.ratelimits import Decision, authorize_admin_login, authorize_check, longest_window


def too_many_requests(request: HttpRequest, decision: Decision | None = None) -> HttpResponse:
    """The friendly 429 page, with the real time left in Retry-After."""
    retry_after = decision.retry_after if decision is not None else 3600
    minutes = max(1, math.ceil(retry_after / 60))
    response = render(request, "leaks/429.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


# The number arrives in a POST body, never in a URL, so it stays out of
# access logs and browser history; error reports hide it too.
@sensitive_post_parameters("phone")
def check(request: HttpRequest) -> HttpResponse:
    form = CheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        decision = authorize_check(request, phone)
        if not decision:
            return too_many_requests(request, decision)
        breaches = [
            (breach, [data_classes.label(key) for key in breach.data_classes])
            for breach in breaches_for_phone(phone)
        ]
        context = {
            "masked": phone.masked,
            "breaches": breaches,
            "totals": totals(),
            "form_again": CheckForm(),
        }
        return render(request, "leaks/result.html", context)
    status = 400 if form.is_bound else 200
    return render(request, "leaks/check.html", {"form": form, "totals": totals()}, status=status)


def privacy(request: HttpRequest) -> HttpResponse:
    hours = max(1, math.ceil(longest_window() / 3600))
    return render(request, "leaks/privacy.html", {"counter_hours": hours})


@sensitive_post_parameters("password")
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own login view behind the admin-login rate limit."""
    from django.contrib import admin

    if request.method == "POST":
        decision = authorize_admin_login(request, request.POST.get("username", ""))
        if not decision:
            return too_many_requests(request, decision)
    return admin.site.login(request)
