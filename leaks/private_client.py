"""A command-line private check, for people who would rather not trust served JavaScript.

    python -m leaks.private_client https://breachcheck.example 13800138000

It runs the same protocol as static/js/private-check.js: the number is
normalised and blinded here; only its 16-bit bucket and a blinded element are
sent. It needs only `phonenumbers` and `rbcl` (pip install phonenumbers rbcl),
not Django, and reads no settings.
"""

import argparse
import contextlib
import hashlib
import html
import json
import re
import sys
import urllib.request

import phonenumbers

from leaks import oprf

PREFIX_BYTES = 6
_BREACH = re.compile(r'<li class="breach" data-breach="(\d+)"[^>]*>\s*<h2>([^<]*)</h2>')


class CheckFailed(Exception):
    pass


def e164_of(raw: str, region: str = "CN") -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise CheckFailed(f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise CheckFailed("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def request_for(e164: str) -> tuple[bytes, dict]:
    """(blind, the JSON body to send): the bucket and the blinded element, nothing else."""
    message = e164.encode("ascii")
    bucket = int.from_bytes(hashlib.sha256(message).digest()[:2], "big")
    blind, blinded = oprf.blind(message)
    return blind, {"bucket": bucket, "blinded": blinded.hex()}


def matches(e164: str, blind: bytes, answer: dict) -> set[int]:
    """Breach ids whose stored prefix equals this number's OPRF output prefix."""
    output = oprf.finalize(e164.encode("ascii"), blind, bytes.fromhex(answer["evaluated"]))
    prefix = output[:PREFIX_BYTES].hex()
    return {breach_id for entry, breach_id in answer["entries"] if entry == prefix}


def private_check(server: str, raw: str, region: str = "CN") -> list[str]:
    """Titles of the public breaches holding the number, as the site's page lists them."""
    e164 = e164_of(raw, region)
    blind, body = request_for(e164)
    answer = _fetch(
        server.rstrip("/") + "/private/evaluate/",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    found = matches(e164, blind, json.loads(answer))
    frame = _fetch(server.rstrip("/") + "/private/result/").decode()
    return [html.unescape(title) for pk, title in _BREACH.findall(frame) if int(pk) in found]


def _fetch(url: str, data: bytes | None = None, headers: dict | None = None) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise CheckFailed("the server's address must start with https:// or http://")
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310 (checked above)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        with contextlib.suppress(ValueError):
            detail = json.loads(detail).get("error", detail)
        raise CheckFailed(f"{exc.code}: {detail}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("server", help="the site's address, e.g. https://breachcheck.example")
    parser.add_argument("number", help="the phone number, in any usual form")
    parser.add_argument("--region", default="CN", help="region for numbers without +")
    args = parser.parse_args(argv)
    try:
        titles = private_check(args.server, args.number, args.region)
    except (CheckFailed, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if titles:
        print(f"Found in {len(titles)} public breach(es):")
        for title in titles:
            print(f"  - {title}")
    else:
        print("Not found in any public breach this site knows.")
    return 1 if titles else 0


if __name__ == "__main__":
    sys.exit(main())
