from django.http import HttpRequest

from breachcheck.site import site_context


def site(request: HttpRequest) -> dict:
    return site_context()
