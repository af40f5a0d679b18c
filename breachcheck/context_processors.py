from django.http import HttpRequest

from web.site import site_context


def site(request: HttpRequest) -> dict:
    return site_context()
