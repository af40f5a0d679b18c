"""The public breaches are read once per change, and every change is seen at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leaks.lookups import totals
from leaks.public_set import public_set
from leaks.publishing import breach_unpublish
from tests.factories import breach_with

pytestmark = pytest.mark.django_db


def test_totals_are_read_once_then_kept():
    breach_with("shop", ["13800138000", "13900139000"])
    assert totals() == {"breaches": 1, "numbers": 2}
    with CaptureQueriesContext(connection) as queries:
        assert totals() == {"breaches": 1, "numbers": 2}
    assert queries.captured_queries == []


def test_an_import_or_a_publication_changes_them_at_once():
    shop = breach_with("shop", ["13800138000"])
    assert totals() == {"breaches": 1, "numbers": 1}
    shop.pwn_count = 5  # as an import's merge saves it
    shop.save(update_fields=["pwn_count"])
    assert totals() == {"breaches": 1, "numbers": 5}
    breach_with("forum", ["13700137000"])
    assert totals() == {"breaches": 2, "numbers": 6}
    breach_unpublish(breach=shop)
    assert totals() == {"breaches": 1, "numbers": 1}
    assert [b.slug for b in public_set().by_id.values()] == ["forum"]


def test_an_unpublished_breach_is_never_in_the_snapshot():
    breach_with("draft", ["13800138000"], published_at=None)
    assert public_set().by_id == {}
