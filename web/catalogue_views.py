"""Public catalogue pages: every listed breach, and one page per breach."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from leaks import catalogue, data_classes
from leaks.forms import CheckForm
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
        **catalogue.breach_page(breach),
        "form": _check_form(),
        "require_proof": settings.RESULTS_REQUIRE_PROOF,
    }
    return render(request, "leaks/breach.html", context)


def _check_form() -> CheckForm:
    # The home page's form, without grabbing the focus from the page's text.
    form = CheckForm()
    form.fields["phone"].widget.attrs.pop("autofocus", None)
    return form
