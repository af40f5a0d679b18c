from typing import Any
from weakref import WeakKeyDictionary

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from api.keys import apikey_revoke, apikey_set_token
from api.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "rate", "trusted_partner", "created_at", "revoked_at")
    list_filter = ("trusted_partner", "revoked_at")
    search_fields = ("name", "prefix")
    fields = ("name", "rate", "trusted_partner", "prefix", "created_at", "created_by", "revoked_at")
    readonly_fields = ("prefix", "created_at", "created_by", "revoked_at")
    actions = ["revoke"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The token of a key added in a request, from save_model to response_add:
        # it lives as long as the request and is never stored.
        self._new_tokens: WeakKeyDictionary[HttpRequest, str] = WeakKeyDictionary()

    def save_model(self, request: HttpRequest, obj: ApiKey, form: ModelForm, change: bool) -> None:
        if not change:
            # The admin site lets in only logged-in staff: a User.
            if isinstance(request.user, User):
                obj.created_by = request.user
            self._new_tokens[request] = apikey_set_token(api_key=obj)
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None
    ) -> HttpResponse:
        # The key is shown in this one response and never stored or put in a
        # message (messages may live in a cookie).
        context = {
            **self.admin_site.each_context(request),
            "title": _("API key created"),
            "api_key": obj,
            "token": self._new_tokens.pop(request),
            "opts": self.model._meta,
        }
        return render(request, "admin/api/apikey/created.html", context)

    @admin.action(description=_("Revoke selected keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            apikey_revoke(api_key=api_key)
        self.message_user(request, _("Revoked."), messages.SUCCESS)
