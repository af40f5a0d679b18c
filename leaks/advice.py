"""What a leaked kind of data means for the person it belongs to.

One sentence per data class (leaks.data_classes), in the order the most
harmful come first, so a breach page can say what *this* leak lets a
fraudster do.
"""

from django.utils.translation import gettext_lazy as _

MEANINGS = {
    "id_card": _(
        "Your ID card number: enough to pass as you on the phone, and sometimes to apply for "
        "loans or cards in your name. Watch for loans you did not ask for."
    ),
    "bank": _(
        "Your bank account number: expect calls and texts claiming a problem with your card. "
        "Call the bank on the number printed on your card instead."
    ),
    "password": _("Your password: change it on that service and everywhere you used the same one."),
    "family": _(
        "Your family members: fraudsters may pretend to be a relative in trouble, or tell a "
        "relative that you are. Agree on a way to check with your family."
    ),
    "name": _("Your name: a caller who says your name is not proven genuine by it."),
    "address": _(
        "Your address: distrust parcels, couriers and callers that mention it unexpectedly."
    ),
    "orders": _(
        'What you bought: the "customer service" refund call about an order is a classic '
        "fraud. Check orders only in the shop's own app."
    ),
    "health": _(
        "Your health records: distrust calls about medical insurance, treatment or "
        "medicines, even when they know your illness."
    ),
    "photo": _(
        "Your photo: it can be used to make fake profiles or video calls. Confirm money "
        "requests from friends by calling them back."
    ),
    "employer": _(
        "Your employer: fraudsters pose as a boss or colleague asking for an urgent transfer."
    ),
    "vehicle": _(
        "Your vehicle plate: distrust texts about traffic fines or ETC cards that carry a link."
    ),
    "birth_date": _("Your date of birth: it makes a fake official or bank call more convincing."),
    "gender": _("Your gender: fraudsters use it to pick the script they try on you."),
    "email": _("Your email address: expect phishing mail that uses the leaked service's name."),
    "ip": _("Your IP address: it can reveal roughly where you were when you used the service."),
    "phone": _(
        "Your phone number: expect more spam calls and texts, and fraud calls that know "
        "where your number leaked."
    ),
}


def meanings(data_classes: list[str]) -> list[str]:
    """What each leaked class means, the most harmful first; unknown classes say nothing."""
    present = set(data_classes)
    return [str(text) for key, text in MEANINGS.items() if key in present]
