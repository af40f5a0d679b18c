import logging
import smtplib
from collections.abc import Mapping

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from alerts import crypto, services, tokens
from alerts.forms import SubscribeForm
from alerts.models import Subscription
from disclosure.policy import authorize_confirm_email, authorize_subscribe
from disclosure.responses import too_many_requests
from leaks.hashing import phone_hashes
from leaks.phones import Phone
from proof import session as proof_session

log = logging.getLogger(__name__)

_PENDING = "bc_alerts_pending"
_ACCESS = "bc_alerts_access"


def _proven_phone(request: HttpRequest) -> Phone | None:
    """The number this session checked last, if it has proven it."""
    entry = proof_session.NumberState.load(request).current_entry
    return entry.phone() if entry is not None and entry.proven else None


def _send_confirmation(request: HttpRequest, subscription: Subscription) -> HttpResponse | None:
    """Email the signed confirmation link; a response when that could not happen."""
    decision = authorize_confirm_email(request, bytes(subscription.contact_hash))
    if not decision:
        return too_many_requests(request, decision)
    try:
        services.confirmation_email_send(subscription=subscription, base_url=settings.SITE_URL)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning(
            "confirmation email for subscription %s not sent: %s",
            subscription.pk,
            type(exc).__name__,
        )
        context = {
            "form": SubscribeForm(),
            "error": _("The email could not be sent. Please try again later."),
        }
        return render(request, "alerts/subscribe.html", context, status=502)
    return None


# The address arrives in a POST body, never in a URL.
@sensitive_post_parameters("email")
def subscribe(request: HttpRequest) -> HttpResponse:
    """Alerts for a number this browser has just proven by SMS code, and only then.

    Before the proof the page is the same for every number: it asks for the
    number and texts it a code, so nobody learns whether a number is watched
    or in a breach, and nobody but the number's holder can have it watched."""
    phone = _proven_phone(request)
    if phone is None:
        return render(request, "alerts/subscribe.html", {"prove": True})
    form = SubscribeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        decision = authorize_subscribe(request)
        if not decision:
            return too_many_requests(request, decision)
        if form.is_valid():
            language = translation.get_language()
            chosen = []
            if form.cleaned_data["by_sms"]:
                subscription = services.subscription_request(
                    phone=phone,
                    channel=Subscription.Channel.SMS,
                    contact=phone.e164,
                    contact_masked=phone.masked,
                    language=language,
                )
                # The number is proven in this browser: that is the SMS confirmation.
                services.subscription_confirm(subscription=subscription)
                chosen.append(subscription.pk)
            if form.cleaned_data["email"]:
                email = form.cleaned_data["email"]
                subscription = services.subscription_request(
                    phone=phone,
                    channel=Subscription.Channel.EMAIL,
                    contact=email,
                    contact_masked=crypto.mask_email(email),
                    language=language,
                )
                if not subscription.confirmed:
                    refused = _send_confirmation(request, subscription)
                    if refused:
                        return refused
                chosen.append(subscription.pk)
            request.session[_PENDING] = chosen
            return redirect("bc-alerts-pending")
    context = {"form": form, "masked": phone.masked}
    return render(request, "alerts/subscribe.html", context, status=400 if form.is_bound else 200)


def _pending_subscriptions(request: HttpRequest) -> list[Subscription]:
    ids = request.session.get(_PENDING, [])
    return list(Subscription.objects.filter(pk__in=ids).order_by("channel"))


def pending(request: HttpRequest) -> HttpResponse:
    """After subscribing: which alerts are on, and which address still has to confirm."""
    subscriptions = _pending_subscriptions(request)
    if not subscriptions:
        return redirect("bc-alerts-subscribe")
    items = [
        (subscription, services.subscription_contact(subscription))
        for subscription in subscriptions
    ]
    context = {
        "items": items,
        "all_on": all(s.confirmed for s in subscriptions),
        # The days the confirmation mail names, so the page and the mail agree.
        "days": services.confirm_days(),
    }
    return render(request, "alerts/pending.html", context)


@require_POST
def resend(request: HttpRequest) -> HttpResponse:
    for subscription in _pending_subscriptions(request):
        if subscription.channel == Subscription.Channel.EMAIL and not subscription.confirmed:
            refused = _send_confirmation(request, subscription)
            if refused:
                return refused
    messages.success(request, _("We sent the confirmation email again."))
    return redirect("bc-alerts-pending")


def _grant(request: HttpRequest, subscription: Subscription) -> None:
    """Let this browser see the subscriptions of the address (or number) a link was sent to."""
    access = request.session.get(_ACCESS, [])
    entry: dict[str, object]
    if subscription.channel == Subscription.Channel.EMAIL:
        entry = {"contact": bytes(subscription.contact_hash).hex()}
    else:
        entry = {"number": {str(subscription.key_version): bytes(subscription.phone_hash).hex()}}
    if entry not in access:
        request.session[_ACCESS] = [*access, {**entry}]


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    # A button, not the GET itself: mail scanners open links without a person.
    subscription = tokens.subscription_for_token(token, tokens.CONFIRM)
    if subscription is None:
        return render(request, "alerts/confirm.html", {"invalid": True}, status=400)
    if request.method == "POST":
        services.subscription_confirm(subscription=subscription)
        _grant(request, subscription)
    context = {"subscription": subscription, "contact": services.subscription_contact(subscription)}
    return render(request, "alerts/confirm.html", context)


@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" with no cookie and
    # no CSRF token. Only that exact request skips the CSRF check; the signed token
    # in the URL is what authorises it.
    if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
        subscription = tokens.subscription_for_token(token, tokens.UNSUBSCRIBE)
        if subscription is not None:
            services.subscription_delete(subscription=subscription)
        return HttpResponse(status=200)
    return _unsubscribe_page(request, token)


@csrf_protect
def _unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    subscription = tokens.subscription_for_token(token, tokens.UNSUBSCRIBE)
    if request.method == "POST" and subscription is not None:
        services.subscription_delete(subscription=subscription)
        return render(request, "alerts/unsubscribe.html", {"done": True})
    if subscription is None:
        return render(request, "alerts/unsubscribe.html", {"gone": True})
    context = {"subscription": subscription, "contact": services.subscription_contact(subscription)}
    return render(request, "alerts/unsubscribe.html", context)


@require_GET
def manage(request: HttpRequest, token: str) -> HttpResponse:
    subscription = tokens.subscription_for_token(token, tokens.MANAGE)
    if subscription is None:
        return render(request, "alerts/mine.html", {"invalid": True}, status=400)
    _grant(request, subscription)
    # Off the token URL at once, so it does not linger in the address bar.
    return redirect("bc-alerts-mine")


def _visible(request: HttpRequest) -> QuerySet[Subscription] | None:
    numbers: list[Mapping[int, bytes]] = []
    contacts: list[bytes] = []
    for entry in proof_session.NumberState.load(request).proven_entries():
        phone = entry.phone()
        if phone is not None:
            numbers.append(phone_hashes(phone.e164))
    for entry in request.session.get(_ACCESS, []):
        if "contact" in entry:
            contacts.append(bytes.fromhex(entry["contact"]))
        else:
            numbers.append({int(v): bytes.fromhex(d) for v, d in entry["number"].items()})
    if not numbers and not contacts:
        return None
    return services.subscriptions_visible(numbers=numbers, contact_hashes=contacts)


def mine(request: HttpRequest) -> HttpResponse:
    """A person's own subscriptions, after an SMS proof or through a link from an alert."""
    visible = _visible(request)
    if visible is None:
        return render(request, "alerts/mine.html", {"no_access": True})
    if request.method == "POST":
        chosen = visible
        if "delete_all" not in request.POST:
            chosen = visible.filter(pk=_int_or_zero(request.POST.get("delete")))
        for subscription in chosen:
            services.subscription_delete(subscription=subscription)
        messages.success(request, _("Deleted. We no longer keep that contact."))
        return redirect("bc-alerts-mine")
    items = [
        (subscription, services.subscription_contact(subscription)) for subscription in visible
    ]
    return render(request, "alerts/mine.html", {"items": items})


def _int_or_zero(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0
