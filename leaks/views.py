from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.debug import sensitive_post_parameters
from django_ratelimit.decorators import ratelimit

from leaks import catalogue, data_classes
from leaks.forms import CheckForm
from leaks.lookups import breaches_for_phone, totals

LATEST = 5


def _check_rate(group: str, request: HttpRequest) -> str:
    return settings.RATELIMIT_CHECK_PER_IP


def too_many_requests(request: HttpRequest) -> HttpResponse:
    response = render(request, "leaks/429.html", status=429)
    response["Retry-After"] = "3600"
    return response


# The number arrives in a POST body, never in a URL, so it stays out of
# access logs and browser history; error reports hide it too.
@sensitive_post_parameters("phone")
@ratelimit(key="ip", rate=_check_rate, method="POST", block=False)
def check(request: HttpRequest) -> HttpResponse:
    form = CheckForm(request.POST or None)
    if request.method == "POST":
        if getattr(request, "limited", False):
            return too_many_requests(request)
        if form.is_valid():
            phone = form.cleaned_data["phone"]
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
    context = {"form": form, "totals": totals(), "latest": catalogue.breaches_listed()[:LATEST]}
    return render(request, "leaks/check.html", context, status=status)
