"""The site's names and the operator's details, as people read them."""

from django.conf import settings
from django.utils import translation


def site_title(language: str | None = None) -> str:
    """Both names, the one of the reader's language first ("泄露查 breachcheck")."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    names = [settings.SITE_NAME_ZH, settings.SITE_NAME]
    if not language.startswith("zh"):
        names.reverse()
    return " ".join(name for name in names if name)


def site_context() -> dict:
    """What every page template may show; needs no request and no database."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_NAME_ZH": settings.SITE_NAME_ZH,
        "SITE_TITLE": site_title(),
        "ICP_FILING": settings.ICP_FILING,
    }
