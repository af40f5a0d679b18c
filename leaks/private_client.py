"""A command-line private check, for people who would rather not trust served JavaScript.

    python -m leaks.private_client https://breachcheck.example 13800138000

It runs the same protocol as static/js/private-check.js: the number is
normalised and blinded here; only its bucket (as wide as the site's result page
says, 16 bits by default) and a blinded element are sent, and the binary answer
is decoded by `leaks.private_encoding`. It needs only `phonenumbers` and `rbcl`
(pip install phonenumbers rbcl), not Django, and reads no settings.
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

from leaks import oprf, private_encoding

# A breach's title, a link to its page or not (templates/leaks/_breach_item.html).
_BREACH = re.compile(
    r'<li class="breach" data-breach="(\d+)"[^>]*>\s*<h2>(?:<a [^>]*>)?([^<]*)(?:</a>)?</h2>'
)
_BUCKET_BITS = re.compile(r'data-bucket-bits="(\d+)"')


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


def bucket_of(e164: str, bits: int = 16) -> int:
    """The leading ``bits`` of SHA-256 of the E.164 form."""
    top = int.from_bytes(hashlib.sha256(e164.encode("ascii")).digest()[:4], "big")
    return top >> (32 - bits)


def request_for(e164: str, bits: int = 16) -> tuple[bytes, dict]:
    """(blind, the JSON body to send): the bucket and the blinded element, nothing else."""
    message = e164.encode("ascii")
    blind, blinded = oprf.blind(message)
    return blind, {"bucket": bucket_of(e164, bits), "blinded": blinded.hex()}


def matches(e164: str, blind: bytes, answer: bytes | private_encoding.Answer) -> set[int]:
    """Breach ids whose stored prefix equals this number's OPRF output prefix."""
    if isinstance(answer, bytes):
        answer = private_encoding.decode(answer)
    output = oprf.finalize(e164.encode("ascii"), blind, answer.evaluated)
    return answer.breaches_of(int.from_bytes(output[:8], "big") >> answer.bucket_bits)


def private_check(server: str, raw: str, region: str = "CN") -> list[str]:
    """Titles of the public breaches holding the number, as the site's page lists them."""
    e164 = e164_of(raw, region)
    # The result page is the same for everyone: it says how wide the site's buckets are.
    frame = _fetch(server.rstrip("/") + "/private/result/").decode()
    width = _BUCKET_BITS.search(frame)
    bits = int(width[1]) if width else 16
    blind, body = request_for(e164, bits)
    answer = _fetch(
        server.rstrip("/") + "/private/evaluate/",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        found = matches(e164, blind, answer)
    except private_encoding.MalformedAnswer as exc:
        raise CheckFailed(f"the server's answer could not be read: {exc}") from None
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
