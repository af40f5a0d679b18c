import logging
import smtplib

from django.conf import settings
from django.contrib import messages
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
from leaks import ownership
from leaks.forms import CodeForm
from leaks.phones import Phone
from leaks.ratelimits import client_ip, hit, network_of
from leaks.sms import SmsError
from leaks.views import LIMIT_MESSAGES

log = logging.getLogger(__name__)

_PENDING = "bc_alerts_pending"
_ACCESS = "bc_alerts_access"

SUBSCRIBE_LIMITED = _("Too many alert requests came from your connection. Please try again later.")
EMAIL_LIMITED = _(
    "We sent several confirmation emails to this address recently. Please wait an hour, "
    "then check your spam folder or ask again."
)


_WHY_LIMITED = _(
    "Emails and text messages cost money and can be used to harass people, so each address, "
    "number, connection and the whole site may send only a few."
)


def _limited(request: HttpRequest, message: str) -> HttpResponse:
    context = {"message": message, "why": _WHY_LIMITED}
    response = render(request, "leaks/proof_limited.html", context, status=429)
    response["Retry-After"] = "3600"
    return response


def _subscribe_limited(request: HttpRequest) -> bool:
    ip = client_ip(request)
    checks = [
        ("alerts-sub-ip", f"ip:{ip}", settings.RATELIMIT_SUBSCRIBE_PER_IP),
        (
            "alerts-sub-net",
            f"net:{network_of(ip)}" if ip else "net:-",
            settings.RATELIMIT_SUBSCRIBE_PER_NETWORK,
        ),
    ]
    # Stop at the first limit reached, so a refused request spends no wider budget.
    return any(hit(request, group=group, key=key, rate=rate) for group, key, rate in checks)


def _confirm_email_limited(request: HttpRequest, subscription: Subscription) -> bool:
    checks = [
        (
            "alerts-mail-to",
            f"to:{bytes(subscription.contact_hash).hex()}",
            settings.RATELIMIT_CONFIRM_EMAIL_PER_ADDRESS,
        ),
        ("alerts-mail-all", "all", settings.RATELIMIT_CONFIRM_EMAIL_GLOBAL),
    ]
    return any(hit(request, group=group, key=key, rate=rate) for group, key, rate in checks)


def _send_confirmation(request: HttpRequest, subscription: Subscription) -> HttpResponse | None:
    """Email the confirmation link; a response when that could not happen."""
    if _confirm_email_limited(request, subscription):
        return _limited(request, EMAIL_LIMITED)
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


def _subscribe_by_sms(
    request: HttpRequest, phone: Phone, language: str
) -> HttpResponse | Subscription:
    subscription = services.subscription_request(
        phone=phone,
        channel=Subscription.Channel.SMS,
        contact=phone.e164,
        contact_masked=phone.masked,
        language=language,
    )
    if subscription.confirmed:
        return subscription
    if ownership.session_is_proven(request, phone):
        # The number is proven in this browser already: that is the SMS confirmation.
        services.subscription_confirm(subscription=subscription)
        return subscription
    try:
        ownership.ownership_code_send(phone=phone, request=request)
    except ownership.OwnershipLimited as exc:
        return _limited(request, LIMIT_MESSAGES[exc.scope])
    except SmsError as exc:
        log.warning("alerts confirmation code not sent: %s", exc)
        context = {
            "form": SubscribeForm(),
            "error": _("The text message could not be sent. Please try again later."),
        }
        return render(request, "alerts/subscribe.html", context, status=502)
    ownership.session_set_pending(request, phone)
    return subscription


# The number and the address arrive in a POST body, never in a URL.
@sensitive_post_parameters("phone", "email")
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST or None)
    if request.method == "POST":
        if _subscribe_limited(request):
            return _limited(request, SUBSCRIBE_LIMITED)
        if form.is_valid():
            phone, email = form.cleaned_data["phone"], form.cleaned_data["email"]
            language = translation.get_language()
            pending = []
            if email:
                subscription = services.subscription_request(
                    phone=phone,
                    channel=Subscription.Channel.EMAIL,
                    contact=email,
                    contact_masked=crypto.mask_email(email),
                    language=language,
                )
                # Mailed even when already confirmed: the page must not tell a
                # stranger that this address already watches this number.
                refused = _send_confirmation(request, subscription)
                if refused:
                    return refused
                pending.append(subscription.pk)
            if form.cleaned_data["by_sms"]:
                outcome = _subscribe_by_sms(request, phone, language)
                if isinstance(outcome, HttpResponse):
                    return outcome
                pending.append(outcome.pk)
            request.session[_PENDING] = pending
            return redirect("bc-alerts-pending")
    status = 400 if form.is_bound else 200
    return render(request, "alerts/subscribe.html", {"form": form}, status=status)


def _pending_subscriptions(request: HttpRequest) -> list[Subscription]:
    ids = request.session.get(_PENDING, [])
    return list(Subscription.objects.filter(pk__in=ids).order_by("channel"))


@sensitive_post_parameters("code")
def pending(request: HttpRequest) -> HttpResponse:
    """After subscribing: what to confirm, and the box for the texted code."""
    subscriptions = _pending_subscriptions(request)
    if not subscriptions:
        return redirect("bc-alerts-subscribe")
    form = CodeForm(request.POST or None)
    digest = ownership.session_pending_hash(request)
    if request.method == "POST":
        if hit(
            request,
            group="code-ip",
            key=f"ip:{client_ip(request)}",
            rate=settings.RATELIMIT_CODE_PER_IP,
        ):
            return _limited(request, LIMIT_MESSAGES["attempts"])
        if digest is not None and form.is_valid():
            if ownership.ownership_code_check(phone_hash=digest, code=form.cleaned_data["code"]):
                ownership.session_mark_proven(request)
                for subscription in subscriptions:
                    if (
                        subscription.channel == Subscription.Channel.SMS
                        and bytes(subscription.phone_hash) == digest
                    ):
                        services.subscription_confirm(subscription=subscription)
                messages.success(request, _("Text-message alerts are on for this number."))
                return redirect("bc-alerts-mine")
            form.add_error("code", _("That code is not right. Please check the message."))
    items = [
        (subscription, services.subscription_contact(subscription))
        for subscription in subscriptions
    ]
    context = {
        "items": items,
        "form": form,
        "code_pending": digest is not None
        and any(s.channel == Subscription.Channel.SMS and not s.confirmed for s in subscriptions),
    }
    return render(request, "alerts/pending.html", context, status=400 if form.is_bound else 200)


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


def _visible(request: HttpRequest):
    numbers, contacts = [], []
    proven = ownership.session_last_proven(request)
    if proven:
        numbers.append(ownership.hashes_of(proven))
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
