"""What alerts say: emails (subject, text and HTML parts) and text messages,
rendered in the subscriber's language."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from alerts.models import Subscription
from leaks import data_classes
from leaks.models import Breach


def email_message(
    *, name: str, context: dict, to: str, language: str, headers: dict | None = None
) -> EmailMultiAlternatives:
    """Build ``alerts/emails/<name>-subject.txt``, ``-body-text.txt`` and ``-body-html.html``."""
    with translation.override(language):
        base = f"alerts/emails/{name}"
        subject = " ".join(render_to_string(f"{base}-subject.txt", context).split())
        text = render_to_string(f"{base}-body-text.txt", context)
        html = render_to_string(f"{base}-body-html.html", context)
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or {}
    )
    message.attach_alternative(html, "text/html")
    return message


def alert_context(
    *, breach: Breach, subscription: Subscription, contact: dict, links: dict
) -> dict:
    return {
        "breach": breach,
        # Lazy labels: they are translated when the message renders in its language.
        "classes": [data_classes.DATA_CLASSES.get(key, key) for key in breach.data_classes],
        "number": contact["number"],
        # Only a contact confirmed through the number itself learns a sensitive
        # breach's name; when the operator demands proof for every answer, so
        # does every breach.
        "named": subscription.names_sensitive_breaches
        or not (breach.is_sensitive or settings.RESULTS_REQUIRE_PROOF),
        "site_url": settings.SITE_URL,
        **links,
    }


def alert_email(
    *, context: dict, to: str, language: str, message_id: str
) -> EmailMultiAlternatives:
    headers = {
        # RFC 8058: mail providers show an unsubscribe button that POSTs here.
        "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        # The same id on a resend lets mail clients fold a duplicate away.
        "Message-ID": message_id,
        "Auto-Submitted": "auto-generated",
    }
    name = "alert" if context["named"] else "alert-sensitive"
    return email_message(name=name, context=context, to=to, language=language, headers=headers)


def alert_message_id(*, delivery_id: int, nonce: str) -> str:
    """Stable per alert, so a resend after a lost worker carries the same id."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    return f"<bc-alert-{delivery_id}-{nonce}@{domain}>"
