from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts.models import AlertDelivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    # Contacts stay encrypted here too: the admin sees channels and dates only.
    list_display = ("pk", "channel", "language", "created_at", "confirmed_at")
    list_filter = ("channel", ("confirmed_at", admin.EmptyFieldListFilter))
    fields = readonly_fields = ("channel", "language", "created_at", "confirmed_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Subscription | None = None) -> bool:
        return False


Status = AlertDelivery.Status
OPERATOR_ERROR = Q(status=Status.PENDING, operator_errors__gt=0)
# The states an admin filters by: the statuses, with "operator error" apart from
# the alerts simply waiting (they wait for the operator to fix the SMS account).
STATES: dict[str, tuple[Any, Q]] = {
    "waiting": (Status.PENDING.label, Q(status=Status.PENDING, operator_errors=0)),
    "sending": (Status.SENDING.label, Q(status=Status.SENDING)),
    "sent": (Status.SENT.label, Q(status=Status.SENT)),
    "delivered": (Status.DELIVERED.label, Q(status=Status.DELIVERED)),
    "undelivered": (Status.UNDELIVERED.label, Q(status=Status.UNDELIVERED)),
    "failed": (Status.FAILED.label, Q(status=Status.FAILED)),
    "operator": (_("operator error"), OPERATOR_ERROR),
}


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [(key, label) for key, (label, _where) in STATES.items()]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[AlertDelivery]
    ) -> QuerySet[AlertDelivery]:
        state = STATES.get(self.value() or "")
        return queryset.filter(state[1]) if state else queryset


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "breach",
        "channel",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_filter = (StateFilter, "status", "subscription__channel", "breach")
    fields = readonly_fields = (
        "subscription",
        "breach",
        "job",
        "status",
        "attempts",
        "operator_errors",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "provider_id",
        "receipt_at",
        "last_error",
        "created_at",
    )
    list_select_related = ("breach", "subscription")
    actions = ["retry_now"]

    @admin.display(description=_("channel"))
    def channel(self, obj: AlertDelivery) -> str:
        return obj.subscription.get_channel_display()

    @admin.display(description=_("state"), ordering="status")
    def state(self, obj: AlertDelivery) -> str:
        if obj.status == Status.PENDING and obj.operator_errors:
            return str(_("operator error"))
        return obj.get_status_display()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        waiting = AlertDelivery.objects.filter(OPERATOR_ERROR).count()
        if waiting and request.method == "GET":
            self.message_user(
                request,
                _(
                    "%(count)d text alerts wait for the operator: the SMS provider refused "
                    "the account, the signature or the template, or the credit ran out. They "
                    "are retried until it works; their last error says what to fix."
                )
                % {"count": waiting},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AlertDelivery | None = None) -> bool:
        return False

    @admin.action(description=_("Retry the selected failed alerts now"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[AlertDelivery]) -> None:
        from alerts.tasks import alerts_send

        # Failed, failed by the provider, or waiting for the operator's fix.
        # (A text still goes at most once a day to a number.)
        count = queryset.filter(
            Q(status__in=[Status.FAILED, Status.UNDELIVERED]) | OPERATOR_ERROR
        ).update(
            status=AlertDelivery.Status.PENDING,
            next_attempt_at=timezone.now(),
            attempts=0,
            operator_errors=0,
        )
        alerts_send.delay()
        self.message_user(
            request, _("%(count)d alerts queued again.") % {"count": count}, messages.SUCCESS
        )
