import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leaks.phones import InvalidPhone, normalize
from proof.sms import SmsError, Text, masked, send_text


class Command(BaseCommand):
    help = (
        "Send one text through the configured backend to a number you own: the code template "
        "with a random code (or the alert template with --alert). The number is never printed "
        "or logged in full."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number", help="the destination, e.g. +8613800138000")
        parser.add_argument("--alert", action="store_true", help="send the alert template")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            phone = normalize(opts["number"])
        except InvalidPhone as exc:
            raise CommandError(exc.message) from None
        if opts["alert"]:
            text = Text("alert", ("1", phone.masked))
        else:
            text = Text("code", (f"{secrets.randbelow(10**6):06d}",))
        try:
            serial = send_text(phone.e164, text)
        except SmsError as exc:
            code = f" [{exc.code}]" if exc.code else ""
            raise CommandError(f"Not sent to {masked(phone.e164)}: {exc}{code}") from None
        params = ", ".join(text.params)
        self.stdout.write(
            self.style.SUCCESS(
                f"Sent the {text.kind} template ({params}) to {phone.masked}; serial {serial}."
            )
        )
