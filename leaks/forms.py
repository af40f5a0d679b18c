from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from leaks.fastphones import normalize_input
from leaks.phones import InvalidPhone, Phone


class CheckForm(forms.Form):
    phone = forms.CharField(
        label=_("Your phone number"),
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "type": "tel",
                "inputmode": "tel",
                "autocomplete": "tel",
                "placeholder": "139 1234 5678",
                "autofocus": True,
            }
        ),
    )

    def clean_phone(self) -> Phone:
        try:
            return normalize_input(self.cleaned_data["phone"])
        except InvalidPhone as exc:
            raise forms.ValidationError(exc.message, code=exc.reason) from None


class CheckAgainForm(CheckForm):
    """The check form further down a page: it must not take the focus from the answer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "again_%s")
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.pop("autofocus", None)
