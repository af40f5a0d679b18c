"""Rows imported under the HMAC before the OPRF keep answering server-side checks."""

import pytest
from django.utils import timezone

from leaks.hashing import current_version, legacy_phone_hash
from leaks.lookups import found_breaches
from leaks.models import Breach, LegacyExposure
from leaks.phones import normalize
from tests.support.checks import check

pytestmark = pytest.mark.django_db


@pytest.fixture
def legacy_breach():
    breach = Breach.objects.create(
        slug="old", title="Imported before the OPRF", pwn_count=1, published_at=timezone.now()
    )
    LegacyExposure.objects.create(
        breach=breach,
        phone_hash=legacy_phone_hash("+8613800138000"),
        key_version=current_version(),
    )
    return breach


def test_a_legacy_row_still_answers_the_server_side_check(client, legacy_breach):
    html = check(client, "13800138000").content.decode()
    assert "Imported before the OPRF" in html
    miss = check(client, "13900139000").content.decode()
    assert "Imported before the OPRF" not in miss


def test_lookups_find_legacy_and_new_rows_together(legacy_breach):
    from tests.factories import breach_with

    breach_with("new", ["13800138000"], title="Imported after")
    found = found_breaches(normalize("13800138000"))
    assert {b.slug for b in found} == {"old", "new"}


def test_the_command_lists_and_drops_a_breachs_legacy_rows(legacy_breach):
    from io import StringIO

    from django.core.management import call_command

    from tests.factories import breach_with

    out = StringIO()
    call_command("legacy_exposures", stdout=out)
    assert "old: 1 legacy rows" in out.getvalue()
    breach_with("other", ["13800138000"])
    call_command("legacy_exposures", drop="old", stdout=StringIO())
    assert not LegacyExposure.objects.exists()
    legacy_breach.refresh_from_db()
    assert legacy_breach.pwn_count == 0
    with pytest.raises(Exception, match="No breach"):
        call_command("legacy_exposures", drop="absent", stdout=StringIO())


def test_a_subscription_from_before_stays_visible_to_its_proven_owner():
    from alerts import crypto
    from alerts.models import Subscription
    from alerts.services import subscriptions_visible
    from leaks.hashing import phone_hashes

    old = Subscription.objects.create(
        phone_hash=legacy_phone_hash("+8613800138000"),
        key_version=current_version(),
        channel="email",
        contact_sealed=crypto.seal({"to": "a@example.com", "masked": "a***", "number": "-"}),
        contact_hash=crypto.contact_hash("email", "a@example.com"),
        contact_key_version=current_version(),
        language="en",
    )
    mine = subscriptions_visible(numbers=[phone_hashes("+8613800138000")], contact_hashes=[])
    assert list(mine) == [old]
    other = subscriptions_visible(numbers=[phone_hashes("+8613900139000")], contact_hashes=[])
    assert list(other) == []


@pytest.mark.slow
def test_the_demo_is_imported_again_when_it_has_only_legacy_rows():
    from imports.demo import DEMO_NUMBER, DEMO_SLUG, load_demo
    from leaks.models import Exposure

    demo = Breach.objects.create(slug=DEMO_SLUG, title="demo", pwn_count=1)
    LegacyExposure.objects.create(
        breach=demo,
        phone_hash=legacy_phone_hash("+86" + DEMO_NUMBER),
        key_version=current_version(),
    )
    breach = load_demo()
    assert not LegacyExposure.objects.exists()
    assert breach.pwn_count == Exposure.objects.filter(breach=breach).count() > 100
    assert [b.slug for b in found_breaches(normalize(DEMO_NUMBER))] == [DEMO_SLUG]


def test_the_legacy_table_is_read_only_while_it_has_rows(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from leaks.lookups import found_breaches

    phone = normalize("13800138000")
    with CaptureQueriesContext(connection) as before:
        assert found_breaches(phone) == []
    breach = Breach.objects.create(
        slug="old", title="Old", pwn_count=1, published_at=timezone.now()
    )
    LegacyExposure.objects.create(
        breach=breach, phone_hash=legacy_phone_hash(phone.e164), key_version=current_version()
    )
    with CaptureQueriesContext(connection) as after:
        assert [b.slug for b in found_breaches(phone)] == ["old"]

    lookups = [q["sql"] for q in before.captured_queries if "leaks_exposure" in q["sql"]]
    assert lookups and all("leaks_legacyexposure" not in sql for sql in lookups)
    assert any("leaks_legacyexposure" in q["sql"] for q in after.captured_queries)
