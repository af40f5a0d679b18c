from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from imports.errors import error_for_web
from leaks import data_classes
from leaks.catalogue import breach_quality
from leaks.models import Breach, ImportJob
from leaks.publishing import (
    PublishRefused,
    breach_publish,
    breach_readiness,
    breach_unpublish,
)


class BreachForm(forms.ModelForm):
    data_classes = forms.MultipleChoiceField(
        label=_("data classes"),
        choices=data_classes.CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Breach
        fields = [
            "title",
            "slug",
            "domain",
            "breach_date",
            "description",
            "data_classes",
            "is_verified",
            "is_fabricated",
            "is_sensitive",
            "is_retired",
            "is_spam_list",
        ]


class ImportJobInline(admin.TabularInline):
    model = ImportJob
    template = "admin/leaks/importjob_tabular.html"
    extra = 0
    can_delete = False
    # Few columns, so the page fits a laptop screen; the report link has the rest.
    fields = readonly_fields = (
        "source_name",
        "status",
        "rows",
        "valid",
        "new",
        "error_text",
        "finished_at",
        "details",
    )

    @admin.display(description=_("error"))
    def error_text(self, job: ImportJob) -> str:
        return error_for_web(job) or "-"

    @admin.display(description=_("report"))
    def details(self, job: ImportJob) -> str:
        url = reverse("bc-import-detail", kwargs={"job_id": job.pk})
        return format_html('<a href="{}">{}</a>', url, _("progress and report"))

    def has_add_permission(self, request: HttpRequest, obj: Breach | None = None) -> bool:
        return False


@admin.register(Breach)
class BreachAdmin(admin.ModelAdmin):
    form = BreachForm
    list_display = (
        "title",
        "slug",
        "breach_date",
        "pwn_count",
        "published_at",
        "is_verified",
        "is_sensitive",
    )
    list_filter = ("is_verified", "is_sensitive", "is_fabricated", "is_retired", "is_spam_list")
    actions = ["publish", "unpublish"]
    search_fields = ("title", "slug", "domain")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = (
        "publish_state",
        "published_at",
        "pwn_count",
        "added_date",
        "modified_date",
        "import_link",
        "last_report",
        "quality_figures",
    )
    inlines = [ImportJobInline]
    fieldsets = [
        (_("Publishing"), {"fields": ["publish_state"]}),
        (None, {"fields": list(BreachForm.Meta.fields)}),
        (
            _("Imports and figures"),
            {"fields": [name for name in readonly_fields if name != "publish_state"]},
        ),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Breach | None = None) -> Any:
        # A new breach has nothing to publish yet.
        fieldsets = list(super().get_fieldsets(request, obj))
        return fieldsets if obj is not None else fieldsets[1:2]

    @admin.display(description=_("public"))
    def publish_state(self, breach: Breach) -> str:
        """Whether citizens see it, what is missing, and the way to (un)publish."""
        url = reverse("bc-breach-publishing", kwargs={"breach_id": breach.pk})
        readiness = breach_readiness(breach)
        if breach.published_at:
            state = format_html(
                '<span class="published">{}</span>',
                _("Published: citizens see it since %(when)s")
                % {"when": localtime(breach.published_at).strftime("%Y-%m-%d %H:%M")},
            )
            action = _("Unpublish…")
        else:
            state = format_html('<span class="unpublished">{}</span>', _("Not published"))
            action = _("Review and publish…") if not readiness.blocked else _("Why not yet…")
        missing = ""
        if readiness.missing:
            missing = format_html(
                " · {}",
                ngettext(
                    "%(count)s thing citizens will see missing",
                    "%(count)s things citizens will see missing",
                    len(readiness.missing),
                )
                % {"count": len(readiness.missing)},
            )
        return format_html(
            '<p class="publish-state">{}{} · <a class="button" href="{}">{}</a></p>',
            state,
            missing,
            url,
            action,
        )

    @admin.action(description=_("Publish the selected breaches"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Breach]) -> None:
        for breach in queryset:
            try:
                breach_publish(breach=breach)
            except PublishRefused as refused:
                message = _("%(breach)s is not published: %(reason)s")
                params = {"breach": breach.title, "reason": refused.args[0]}
                self.message_user(request, message % params, messages.ERROR)
            else:
                published = _("%(breach)s is published.") % {"breach": breach.title}
                self.message_user(request, published, messages.SUCCESS)
                for missing in breach_readiness(breach).missing:
                    self.message_user(request, f"{breach.title}: {missing}", messages.WARNING)

    @admin.action(description=_("Unpublish the selected breaches"), permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Breach]) -> None:
        for breach in queryset:
            breach_unpublish(breach=breach)
        self.message_user(request, _("Unpublished: hidden from the public."), messages.SUCCESS)

    @admin.display(description=_("import"))
    def import_link(self, breach: Breach) -> str:
        if not breach.pk:
            return "-"
        url = reverse("bc-import-new") + f"?breach={breach.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Upload a dump into this breach"))

    @admin.display(description=_("last import's report"))
    def last_report(self, breach: Breach) -> str:
        job = breach.imports.filter(status=ImportJob.Status.DONE).first() if breach.pk else None
        if job is None:
            return "-"
        return render_to_string("leaks/import_report.html", {"job": job})

    @admin.display(description=_("quality of all imports"))
    def quality_figures(self, breach: Breach) -> str:
        quality = breach_quality(breach) if breach.pk else None
        return render_to_string("leaks/_quality.html", {"quality": quality})
