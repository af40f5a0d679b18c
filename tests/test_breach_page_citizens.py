"""Breach pages for the people in them: meaning, a check form, readable counts, provinces."""

import re

import pytest
from django.utils import timezone, translation

from imports.tally import province
from leaks.counts import readable_count
from leaks.models import Breach
from leaks.phones import normalize
from leaks.provinces import UNKNOWN, canonical, label
from tests.breach_factory import breach_with_numbers
from tests.helpers import check

pytestmark = pytest.mark.django_db


def english(client, path: str) -> str:
    return client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.parametrize(
    ("n", "chinese", "english_text"),
    [
        (0, "0", "0"),
        (9999, "9999", "9,999"),
        (10000, "1万", "10,000"),
        (123456, "12.3万", "123,456"),
        (999_949, "100万", "999,949"),
        (1_234_567, "123.5万", "1.2 million"),
        (99_999_999, "1亿", "100 million"),
        (120_000_000, "1.2亿", "120 million"),
        (999_999_999, "10亿", "1 billion"),
        (1_234_567_890, "12.3亿", "1.2 billion"),
    ],
)
def test_counts_read_like_people_say_them(n, chinese, english_text):
    assert readable_count(n, "zh-hans") == chinese
    with translation.override("en"):
        assert readable_count(n, "en") == english_text


def test_the_breach_page_shows_counts_in_wan_and_million(client):
    Breach.objects.create(
        slug="big", title="Big", pwn_count=123_456_789, published_at=timezone.now()
    )
    assert (
        '<dd class="count" data-count="123456789">1.2亿</dd>'
        in client.get("/breaches/big/").content.decode()
    )
    assert ">123.5 million</dd>" in english(client, "/breaches/big/")
    assert "1.2亿 个号码" in client.get("/breaches/").content.decode()


def test_the_breach_page_says_what_the_leak_means_by_its_data_classes(client):
    Breach.objects.create(
        slug="shop",
        title="Shop",
        pwn_count=1,
        published_at=timezone.now(),
        data_classes=["phone", "name", "id_card", "orders"],
    )
    html = english(client, "/breaches/shop/")
    meaning = html.split('<section class="meaning">', 1)[1].split("</section>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", meaning.split('class="meanings"', 1)[1], re.S)
    assert len(items) == 4
    assert items[0].startswith("Your ID card number")
    assert any("customer service" in item for item in items)
    chinese = client.get("/breaches/shop/").content.decode()
    assert "这次泄露对你意味着什么" in chinese and "你的身份证号" in chinese


def test_a_breach_with_no_data_classes_says_so(client):
    Breach.objects.create(slug="bare", title="Bare", pwn_count=1, published_at=timezone.now())
    assert "We do not know yet what leaked" in english(client, "/breaches/bare/")


def test_the_breach_page_has_the_home_pages_check_form(client):
    breach_with_numbers("shop", ["13800138000"], title="Shop")
    html = english(client, "/breaches/shop/")
    form = html.split('<form class="check"', 1)[1].split("</form>", 1)[0]
    assert 'action="/"' in form and 'method="post"' in form
    assert 'name="phone"' in form and "csrfmiddlewaretoken" in form
    assert "autofocus" not in form  # the reader lands on the breach, not in the field
    result = check(client, "13800138000", HTTP_ACCEPT_LANGUAGE="en")
    assert "Found in 1 breach" in result.content.decode()


def test_numbers_of_unknown_province_are_not_shown_as_bare_china(client):
    virtual = [f"1701234{n:04d}" for n in range(10)]
    beijing = [f"1380013{n:04d}" for n in range(10)]
    breach_with_numbers("mixed", virtual + beijing, title="Mixed")
    chinese = client.get("/breaches/mixed/").content.decode()
    regions = chinese.split('<section class="regions">', 1)[1].split("</section>", 1)[0]
    assert "未知省份" in regions and "北京市" in regions
    assert ">中国<" not in regions
    regions_en = english(client, "/breaches/mixed/").split('<section class="regions">', 1)[1]
    assert "Unknown province" in regions_en and "Beijing" in regions_en
    assert "北京" not in regions_en.split("</section>", 1)[0]


@pytest.mark.parametrize(
    ("key", "chinese", "english_text"),
    [
        ("广东省", "广东省", "Guangdong"),
        ("内蒙古呼和浩特市", "内蒙古自治区", "Inner Mongolia"),  # an older report's shape
        ("广西南宁市", "广西壮族自治区", "Guangxi"),
        ("中国", "未知省份", "Unknown province"),
        ("CN", "未知省份", "Unknown province"),
        ("US", "美国", "United States"),
    ],
)
def test_region_keys_are_named_in_the_readers_language(key, chinese, english_text):
    with translation.override("zh-hans"):
        assert label(key) == chinese
    with translation.override("en"):
        assert label(key) == english_text


def test_imports_record_whole_provinces_for_autonomous_regions():
    assert province(normalize("13347100000")) == "内蒙古自治区"
    assert province(normalize("13800138000")) == "北京市"
    assert province(normalize("17012340000")) == UNKNOWN
    assert canonical("西藏拉萨市") == "西藏自治区"
