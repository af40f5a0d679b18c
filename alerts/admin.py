from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
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


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "breach",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "subscription__channel", "breach")
    fields = readonly_fields = (
        "subscription",
        "breach",
        "job",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "provider_id",
        "last_error",
        "created_at",
    )
    list_select_related = ("breach", "subscription")
    actions = ["retry_now"]

    @admin.display(description=_("channel"))
    def channel(self, obj: AlertDelivery) -> str:
        return obj.subscription.get_channel_display()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AlertDelivery | None = None) -> bool:
        return False

    @admin.action(description=_("Retry the selected failed alerts now"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[AlertDelivery]) -> None:
        from alerts.tasks import alerts_send

        count = queryset.filter(status=AlertDelivery.Status.FAILED).update(
            status=AlertDelivery.Status.PENDING,
            next_attempt_at=timezone.now(),
            attempts=0,
        )
        alerts_send.delay()
        self.message_user(
            request, _("%(count)d alerts queued again.") % {"count": count}, messages.SUCCESS
        )
