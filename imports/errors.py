"""An import's error as the upload pages show it: translated, naming a form field.

Readers raise DumpError with an English msgid, its parameters and the option
that could fix it; the management command shows its flag (`--encoding`), the
web page names the form field below the error instead.
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leaks.models import ImportJob

FIELD_HINTS = {
    "encoding": _("Choose the file's text encoding in the “Encoding” field below and try again."),
    "column": _(
        "Write the phone column's header name, or its number (0 for the first column), "
        "in the “Phone column” field below and try again."
    ),
    "format": _("Choose the file's format in the “Format” field below and try again."),
}


def error_for_web(job: ImportJob) -> str:
    """The job's error in the admin's language, with the field to change."""
    detail = (job.report or {}).get("error") if job.status == ImportJob.Status.FAILED else None
    if not detail or not detail.get("message"):
        return job.error
    text = gettext(detail["message"])
    params = detail.get("params") or {}
    if params:
        try:
            text = text % params
        except (KeyError, ValueError, TypeError):
            text = detail["message"] % params  # a translation with a wrong placeholder
    hint = FIELD_HINTS.get(detail.get("option") or "")
    if not hint:
        return text
    # Chinese joins sentences without a space.
    return gettext("%(error)s %(hint)s") % {"error": text, "hint": hint}
