"""The about page: who runs the site, where its data comes from, and people's rights."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def about(request: HttpRequest) -> HttpResponse:
    contact = settings.OPERATOR_CONTACT
    context = {
        "operator_name": settings.OPERATOR_NAME,
        "operator_contact": contact,
        # An address people can click; anything else (a phone, a postal address) stays text.
        "operator_mailto": f"mailto:{contact}" if "@" in contact and " " not in contact else "",
    }
    return render(request, "leaks/about.html", context)
