from django import forms
from django.utils.translation import gettext_lazy as _

from leaks.phones import InvalidPhone, normalize


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

    def clean_phone(self):
        try:
            return normalize(self.cleaned_data["phone"])
        except InvalidPhone as exc:
            raise forms.ValidationError(exc.message, code=exc.reason) from None
