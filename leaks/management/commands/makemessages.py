from django.core.management.commands import makemessages


class Command(makemessages.Command):
    """Django's makemessages, also collecting the English messages readers raise.

    Readers raise ``DumpError("English msgid", ...)`` and the upload pages
    translate it when shown (imports/errors.py), so each first argument of
    DumpError is a msgid too. So is each argument of ``N_`` (gettext_noop), which
    marks the API's English descriptions: the OpenAPI document stays English and
    the docs page translates them when shown (api/docs.py)."""

    xgettext_options = [
        *makemessages.Command.xgettext_options,
        "--keyword=DumpError",
        "--keyword=N_",
    ]
