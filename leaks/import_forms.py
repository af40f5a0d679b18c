from django import forms
from django.utils.translation import gettext_lazy as _

from leaks.models import Breach
from leaks.readers import FORMATS


class UploadForm(forms.Form):
    breach = forms.ModelChoiceField(
        label=_("Breach"), queryset=Breach.objects.all(), required=False
    )
    new_slug = forms.SlugField(label=_("or a new breach: name"), required=False)
    new_title = forms.CharField(label=_("new breach: title"), max_length=200, required=False)
    dump = forms.FileField(label=_("Dump file"))
    column = forms.CharField(
        label=_("Phone column (header or 0-based index)"), max_length=100, required=False
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("", _("detect"))] + [(name, name) for name in FORMATS],
        required=False,
    )
    encoding = forms.CharField(label=_("Encoding"), max_length=40, required=False)
    region = forms.CharField(label=_("Default region"), max_length=2, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("breach") and not data.get("new_slug"):
            raise forms.ValidationError(_("Choose a breach or name a new one."))
        if data.get("new_slug") and Breach.objects.filter(slug=data["new_slug"]).exists():
            self.add_error("new_slug", _("A breach with this name exists; choose it above."))
        return data

    def options(self) -> dict:
        keys = ("column", "format", "encoding", "region")
        return {key: self.cleaned_data[key] for key in keys if self.cleaned_data.get(key)}
