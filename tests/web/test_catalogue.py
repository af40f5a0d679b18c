"""The public catalogue pages and the quality figures behind them."""

import datetime
import re

import pytest
from django.utils import timezone, translation

from leaks.catalogue import MIN_REGION_COUNT, breach_quality
from leaks.models import Breach, ImportJob
from tests.factories import breach_with_numbers, import_job

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

BEIJING = [f"1380013{n:04d}" for n in range(12)]  # one province, enough to be named
VIRTUAL = [f"1701234{n:04d}" for n in range(4)]
INVALID = ["12345", "1380013"]


@pytest.fixture
def breaches(db):
    big = breach_with_numbers(
        "big-shop",
        BEIJING + VIRTUAL + INVALID,
        title="Big Shop",
        domain="big.example",
        breach_date=datetime.date(2023, 5, 1),
        data_classes=["phone", "address"],
        is_verified=True,
        description="Members of a big shop.",
    )
    small = breach_with_numbers("small-forum", ["13900139000"], title="Small Forum")
    clinic = breach_with_numbers("clinic", ["13900139001"], title="Clinic", is_sensitive=True)
    gone = breach_with_numbers("gone", ["13900139002"], title="Gone Site", is_retired=True)
    Breach.objects.filter(pk=small.pk).update(added_date=timezone.now() + datetime.timedelta(1))
    return {"big": big, "small": small, "clinic": clinic, "gone": gone}


def english(client, path: str, **params):
    return client.get(path, params, HTTP_ACCEPT_LANGUAGE="en")


def titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="/breaches/[^"]+/">([^<]+)</a></h2>', html)


def test_it_lists_every_breach_but_retired_ones(client, breaches):
    html = english(client, "/breaches/").content.decode()
    assert sorted(titles(html)) == ["Big Shop", "Clinic", "Small Forum"]
    assert "Gone Site" not in html
    assert "sensitive" in html
    assert "verified" in html


def test_it_sorts_by_date_added_by_default_and_by_size(client, breaches):
    by_added = titles(english(client, "/breaches/").content.decode())
    assert by_added[0] == "Small Forum"
    by_size = titles(english(client, "/breaches/", sort="size").content.decode())
    assert by_size[0] == "Big Shop"
    assert titles(english(client, "/breaches/", sort="nonsense").content.decode()) == by_added


def test_breach_page_shows_facts_and_data_classes(client, breaches):
    response = english(client, "/breaches/big-shop/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Big Shop" in html
    assert "Members of a big shop." in html
    assert "2023-05-01" in html
    assert "Physical addresses" in html
    assert '<dd class="count" data-count="16">16</dd>' in html


def test_breach_page_draws_the_provinces_without_script(client, breaches):
    html = english(client, "/breaches/big-shop/").content.decode()
    assert "<script" not in html
    assert " style=" not in html
    # 12 of the 16 valid numbers are Beijing's; the 4 virtual-operator ones have no province.
    assert re.search(r'Beijing.*?<rect class="bar-fill" width="75\.0"', html, re.S)
    assert "北京市" not in html
    chinese = client.get("/breaches/big-shop/").content.decode()
    assert "北京市" in chinese


def test_the_dump_quality_figures_are_for_the_admin_only(client, admin_client, breaches):
    public = english(client, "/breaches/big-shop/").content.decode()
    for figure in ("share-virtual", "share-invalid", "Invalid numbers", "Why numbers were invalid"):
        assert figure not in public
    admin = admin_client.get(f"/admin/leaks/breach/{breaches['big'].pk}/change/").content.decode()
    # 4 virtual-operator numbers among 16 valid ones, 2 invalid among 18.
    assert re.search(r'share-virtual.*?<rect class="bar-fill" width="25\.0"', admin, re.S)
    assert re.search(r'share-invalid.*?<rect class="bar-fill" width="11\.1', admin, re.S)


def test_small_regions_are_folded_into_other(breaches):
    quality = breach_quality(breaches["big"])
    with translation.override("zh-hans"):
        labels = {bar.label: bar.count for bar in quality.region_bars()}
    assert all(count >= MIN_REGION_COUNT for label, count in labels.items() if label != "其他")
    assert labels["北京市"] == 12
    assert sum(labels.values()) == 16


def test_quality_survives_odd_reports(breaches):
    breach = breaches["small"]
    import_job(
        breach,
        "/nonexistent",
        source_name="old.csv",
        status=ImportJob.Status.DONE,
        rows=5,
        valid=3,
        invalid=2,
        report={"kinds": "mobile", "virtual_operator": -4, "top_regions": {"X": "many"}},
    )
    import_job(
        breach,
        "/nonexistent",
        source_name="older.csv",
        status=ImportJob.Status.DONE,
        report=["not", "a", "dict"],
    )
    quality = breach_quality(breach)
    assert quality.imports == 3
    assert quality.virtual_operator == 0
    assert quality.valid == 4
    assert english_ok(breach.slug)


def english_ok(slug: str) -> bool:
    from django.test import Client

    return Client().get(f"/breaches/{slug}/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200


def test_a_breach_without_imports_is_not_public(client, admin_client, db):
    breach = Breach.objects.create(slug="empty", title="Empty", published_at=timezone.now())
    assert english(client, "/breaches/empty/").status_code == 404
    assert "Empty" not in english(client, "/breaches/").content.decode()
    admin = admin_client.get(
        f"/admin/leaks/breach/{breach.pk}/change/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "No import of this breach has finished yet." in admin


def test_retired_and_unknown_breaches_are_404(client, breaches):
    assert english(client, "/breaches/gone/").status_code == 404
    assert english(client, "/breaches/nothing/").status_code == 404


def test_home_page_shows_totals_and_latest_breaches(client, breaches):
    html = english(client, "/").content.decode()
    assert "3 leaked datasets." in html
    assert 'Phone numbers in them: <span class="total">18</span>' in html
    latest = html.split("Latest breaches", 1)[1]
    assert latest.index("Small Forum") < latest.index("Big Shop")
    assert "Gone Site" not in latest


def test_the_catalogue_speaks_chinese_by_default(client, breaches):
    listing = client.get("/breaches/").content.decode()
    assert "已收录的泄露事件" in listing
    assert "敏感" in listing
    detail = client.get("/breaches/big-shop/").content.decode()
    assert "对你意味着什么" in detail
    assert "号码归属地" in detail
