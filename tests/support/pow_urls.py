"""A test-only URLconf: the site plus a form guarded by proof-of-work."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path
from django.views.decorators.http import require_POST

from breachcheck.urls import urlpatterns as site_urlpatterns
from disclosure import pow

FORM = """{% extends "base.html" %}{% block content %}
<form method="post" action="/pow-test/submit/">{% csrf_token %}
  <input name="phone" value="13800138000">
  {% include "disclosure/pow_field.html" %}
  <button type="submit">go</button>
</form>{% endblock %}"""


def form(request: HttpRequest) -> HttpResponse:
    return HttpResponse(engines["django"].from_string(FORM).render({}, request))


@require_POST
def submit(request: HttpRequest) -> HttpResponse:
    if pow.verify(request.POST.get("altcha")):
        return HttpResponse("ok")
    return HttpResponse("no proof of work", status=403)


urlpatterns = [
    path("pow-test/", form),
    path("pow-test/submit/", submit),
    *site_urlpatterns,
]
