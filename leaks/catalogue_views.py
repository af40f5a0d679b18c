"""Public catalogue pages: every listed breach, and one page per breach."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from leaks import catalogue, data_classes
from leaks.lookups import totals


def breach_list(request: HttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", catalogue.DEFAULT_SORT)
    if sort not in catalogue.SORTS:
        sort = catalogue.DEFAULT_SORT
    breaches = [
        (breach, [data_classes.label(key) for key in breach.data_classes])
        for breach in catalogue.breaches_listed(sort=sort)
    ]
    context = {"breaches": breaches, "sort": sort, "totals": totals()}
    return render(request, "leaks/catalogue.html", context)


def breach_detail(request: HttpRequest, slug: str) -> HttpResponse:
    breach = catalogue.breach_listed(slug)
    if breach is None:
        raise Http404
    context = {
        "breach": breach,
        "classes": [data_classes.label(key) for key in breach.data_classes],
        "quality": catalogue.breach_quality(breach),
    }
    return render(request, "leaks/breach.html", context)
