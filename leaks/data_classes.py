"""The kinds of data a breach can expose, with names people can read."""

from django.utils.translation import gettext_lazy as _

DATA_CLASSES = {
    "phone": _("Phone numbers"),
    "name": _("Names"),
    "address": _("Physical addresses"),
    "id_card": _("ID card numbers"),
    "photo": _("Photos"),
    "email": _("Email addresses"),
    "password": _("Passwords"),
    "family": _("Family members"),
    "birth_date": _("Dates of birth"),
    "gender": _("Genders"),
    "orders": _("Purchase history"),
    "health": _("Health records"),
    "ip": _("IP addresses"),
    "bank": _("Bank account numbers"),
    "employer": _("Employers"),
    "vehicle": _("Vehicle plates"),
}

CHOICES = list(DATA_CLASSES.items())


def label(key: str) -> str:
    return str(DATA_CLASSES.get(key, key))
