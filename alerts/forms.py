from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class SubscribeForm(forms.Form):
    """How to be told: for the number this session has just proven by SMS code."""

    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "you@example.com"}),
    )
    by_sms = forms.BooleanField(label=_("Text messages to this number"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "alerts_%s")
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        local, _, domain = email.rpartition("@")
        # One address, one hash: the domain is case-insensitive, and in practice so is the rest.
        return f"{local}@{domain}".lower() if email else ""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not cleaned.get("email") and not cleaned.get("by_sms"):
            raise forms.ValidationError(
                _("Give an email address, tick text messages, or both."), code="no_channel"
            )
        return cleaned
