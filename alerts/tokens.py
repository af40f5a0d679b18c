"""Signed links for confirmation, unsubscribing and managing: they carry a
subscription's id and nonce, never an address or a number."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from alerts.models import Subscription

CONFIRM = "alerts.confirm"
UNSUBSCRIBE = "alerts.unsubscribe"
MANAGE = "alerts.manage"

_URL_NAMES = {
    CONFIRM: "bc-alerts-confirm",
    UNSUBSCRIBE: "bc-alerts-unsubscribe",
    MANAGE: "bc-alerts-manage",
}


def token_for(subscription: Subscription, purpose: str) -> str:
    return signing.dumps([subscription.pk, subscription.nonce], salt=purpose)


def subscription_for_token(token: str, purpose: str) -> Subscription | None:
    """The subscription a link names, if the link is genuine, fresh enough and still valid."""
    max_age = {
        CONFIRM: settings.ALERTS_CONFIRM_MAX_AGE,
        MANAGE: settings.ALERTS_MANAGE_LINK_MAX_AGE,
        # An unsubscribe link must work however old the message is.
        UNSUBSCRIBE: None,
    }[purpose]
    try:
        pk, nonce = signing.loads(token, salt=purpose, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return Subscription.objects.filter(pk=pk, nonce=nonce).first()


def link_for(subscription: Subscription, purpose: str, *, base: str | None = None) -> str:
    """An absolute link; ``base`` is the request's origin when there is one."""
    path = reverse(_URL_NAMES[purpose], args=[token_for(subscription, purpose)])
    return (base or settings.SITE_URL).rstrip("/") + path
