"""The site's own error pages: styled like the rest, in the reader's language.

The 404 and 403 pages are plain templates Django finds by name (404.html,
403.html); these two views cover the cases Django renders without the
request's context.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader

from web.site import site_context


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid security token (an old page, or cookies blocked)."""
    # The reason is for developers; it is not shown to the visitor.
    return render(request, "403_csrf.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without context processors or the database: either may be what failed."""
    html = loader.get_template("500.html").render(site_context())
    return HttpResponse(html, status=500)
