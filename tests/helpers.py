"""Small builders shared by the view and privacy tests."""

from django.utils import timezone

from leaks.hashing import current_version, phone_key
from leaks.models import Breach, Exposure
from leaks.phones import normalize


def breach_with(slug: str, numbers: list[str], **fields) -> Breach:
    """A breach holding the given numbers, stored as the importer stores them.

    Published unless `published_at=None` is given: a test breach is a public one."""
    fields.setdefault("published_at", timezone.now())
    breach = Breach.objects.create(slug=slug, title=fields.pop("title", slug), **fields)
    Exposure.objects.bulk_create(
        Exposure(
            breach=breach,
            phone_key=phone_key(normalize(number).e164),
            key_version=current_version(),
        )
        for number in numbers
    )
    breach.pwn_count = len(numbers)
    breach.save(update_fields=["pwn_count"])
    return breach


def check(client, number: str, **extra):
    """Check a number as a browser does: POST, then follow the redirect to the result."""
    response = client.post("/", {"phone": number}, **extra)
    if response.status_code == 302:
        return client.get(response["Location"], **extra)
    return response
