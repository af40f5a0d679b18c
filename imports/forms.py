import codecs

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _

from imports.readers import FORMATS
from leaks.models import Breach

ENCODINGS = ["utf-8", "gb18030", "gbk", "utf-16", "big5", "latin-1"]


class ImportOptionsForm(forms.Form):
    """How to read a dump; every option is detected when left empty."""

    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("", _("detect"))] + [(name, name) for name in FORMATS],
        required=False,
        help_text=_(
            "Leave on “detect” unless the import fails: csv (any delimiter), list (one number "
            "a line), jsonl, json, sql or xlsx."
        ),
    )
    column = forms.CharField(
        label=_("Phone column"),
        max_length=100,
        required=False,
        help_text=_(
            "The header of the column holding the numbers (such as 手机号), or its number "
            "counting from 0. Empty: found by header or content."
        ),
    )
    encoding = forms.CharField(
        label=_("Encoding"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"list": "bc-encodings"}),
        help_text=_(
            "The text encoding, such as utf-8, gb18030 (also reads GBK) or utf-16. Empty: detected."
        ),
    )
    region = forms.CharField(
        label=_("Default region"),
        max_length=2,
        required=False,
        help_text=_(
            "Two-letter country code for numbers written without +, such as CN or HK. Empty: CN."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        # Labels sit above their fields: no colon (and no "：:" in Chinese).
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_encoding(self) -> str:
        name = self.cleaned_data["encoding"].strip()
        if name:
            try:
                codecs.lookup(name)
            except LookupError:
                raise forms.ValidationError(_("Unknown text encoding.")) from None
        return name

    def clean_region(self) -> str:
        region = self.cleaned_data["region"].strip().upper()
        if region and region not in phonenumbers.SUPPORTED_REGIONS:
            raise forms.ValidationError(_("Unknown region code."))
        return region

    def options(self) -> dict:
        keys = ("column", "format", "encoding", "region")
        return {key: self.cleaned_data[key] for key in keys if self.cleaned_data.get(key)}


class UploadForm(ImportOptionsForm):
    breach = forms.ModelChoiceField(
        label=_("Breach"),
        queryset=Breach.objects.all(),
        required=False,
        help_text=_("The breach this dump belongs to."),
    )
    new_slug = forms.SlugField(
        label=_("or a new breach: name"),
        required=False,
        help_text=_("Letters, digits and dashes, used in the breach's address."),
    )
    new_title = forms.CharField(label=_("new breach: title"), max_length=200, required=False)
    dump = forms.FileField(label=_("Dump file"))

    field_order = ["breach", "new_slug", "new_title", "dump"]

    def clean(self):
        data = super().clean()
        if not data.get("breach") and not data.get("new_slug"):
            raise forms.ValidationError(_("Choose a breach or name a new one."))
        if data.get("new_slug") and Breach.objects.filter(slug=data["new_slug"]).exists():
            self.add_error("new_slug", _("A breach with this name exists; choose it above."))
        return data
