from django import forms
from django.contrib import admin

from leaks import data_classes
from leaks.models import Breach, ImportJob


class BreachForm(forms.ModelForm):
    data_classes = forms.MultipleChoiceField(
        choices=data_classes.CHOICES, widget=forms.CheckboxSelectMultiple, required=False
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
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "source_name",
        "status",
        "rows",
        "valid",
        "invalid",
        "duplicates",
        "known",
        "new",
        "error",
        "created_at",
        "finished_at",
    )

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Breach)
class BreachAdmin(admin.ModelAdmin):
    form = BreachForm
    list_display = ("title", "slug", "breach_date", "pwn_count", "is_verified", "is_sensitive")
    list_filter = ("is_verified", "is_sensitive", "is_fabricated", "is_retired", "is_spam_list")
    search_fields = ("title", "slug", "domain")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("pwn_count", "added_date", "modified_date")
    inlines = [ImportJobInline]
