"""The site's URLs plus one view that fails, to see the 500 page."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from breachcheck.urls import handler500
from breachcheck.urls import urlpatterns as site_urlpatterns


def boom(request):
    raise RuntimeError("a bug, with the number 13800138000 in its message")


def forbidden(request):
    raise PermissionDenied


urlpatterns = [path("boom/", boom), path("forbidden/", forbidden), *site_urlpatterns]

__all__ = ["handler500", "urlpatterns"]
