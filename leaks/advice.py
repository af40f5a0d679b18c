"""What to do after a leak, and what a leaked kind of data means.

The one place the site's safety advice lives: the result and breach pages
(templates/leaks/_advice.html) and alert emails all show SAFETY_ADVICE; a
result that found nothing shows ANTI_FRAUD_ADVICE, the items that do not
speak of a leak (not found is not safe: fraud calls reach everyone).

The numbers were checked against public police and MIIT notices (2021
launch of the 12381 warning texts, police explanations of 96110): 96110 is
the police's anti-fraud warning line (it calls people at risk; people call
it to ask or to report), 110 is the police, 12321 takes reports of spam calls
and texts, and 12381 only *sends* the MIIT's fraud-warning texts (it is not
a number to report fraud to).
"""

from django.utils.translation import gettext_lazy as _

_NEVER_GIVE_CODES = _(
    "Never give a verification code, bank card details or a transfer to someone who "
    "called or texted you, whoever they say they are."
)
ANTI_FRAUD_ADVICE = [
    _NEVER_GIVE_CODES,
    _(
        "Answer calls from 96110: it is the police's anti-fraud line, calling people who may "
        "be about to be cheated. You can also call 96110 to ask whether something is a fraud, "
        "or to report one."
    ),
    _(
        "If you have been cheated or have paid money, call the police at 110 at once, then "
        "your bank."
    ),
    _("Report spam calls and texts to 12321, the reporting centre for spam (12321.cn)."),
    _(
        "A text from 12381 is a fraud warning from the Ministry of Industry and Information "
        "Technology; real ones carry no link and no number to call back."
    ),
]
SAFETY_ADVICE = [
    _(
        "Distrust callers who know your name or address, above all from 170, 171, 162, 165 "
        "or 167 numbers: that knowledge may come from this leak."
    ),
    _NEVER_GIVE_CODES,
    _("Change passwords you used on the leaked service and turn on a second login factor."),
    *ANTI_FRAUD_ADVICE[1:],
]

# What each data class (leaks.data_classes) means for the person it belongs
# to, the most harmful first, so a breach page can say what *this* leak lets a
# fraudster do.

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
