"""The safety advice: right numbers, one place, and texts without links."""

import re

import pytest
from django.conf import settings

from leaks.advice import SAFETY_ADVICE, meanings
from proof.ownership import sms_text
from proof.sms import Text, render_text
from tests.factories import breach_with
from tests.support.checks import check

pytestmark = pytest.mark.django_db

HOTLINES = ("96110", "110", "12321")


def english(client, path: str):
    return client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_result_page_gives_the_right_hotlines(client):
    breach_with("shop", ["13800138000"], title="Shop")
    html = check(client, "13800138000", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    advice = html.split('<section class="advice">', 1)[1].split("</section>", 1)[0]
    for number in HOTLINES:
        assert number in advice
    assert "Report fraud calls to 12381" not in html
    assert "call the police at 110" in advice
    assert "spam calls and texts to 12321" in advice


def test_the_breach_page_gives_the_same_advice_in_chinese(client):
    breach_with("shop", ["13800138000"], title="Shop")
    html = client.get("/breaches/shop/").content.decode()
    assert "请接听 96110 来电" in html
    assert "拨打 110 报警" in html
    assert "12321" in html


def test_no_template_writes_a_hotline_itself():
    # The advice lives in leaks/advice.py only, so it cannot drift apart again.
    templates = (settings.BASE_DIR / "templates").rglob("*")
    for path in templates:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"\b(96110|12321|12381)\b", text), path
    assert sum("96110" in str(item) for item in SAFETY_ADVICE) == 1


def test_the_advice_appears_in_alert_emails_too():
    from django.template.loader import render_to_string

    class Breach:
        title = "Shop"
        breach_date = None
        added_date = None
        domain = ""
        description = ""

    text = render_to_string(
        "alerts/emails/alert-body-text.txt", {"breach": Breach(), "classes": []}
    )
    assert "96110" in text and "12381 or the police" not in text


def test_the_proof_text_carries_no_link_and_says_ni_like_the_site():
    text = sms_text("123456")
    assert "://" not in text and "www." not in text
    assert "您" not in text and "属于你" in text
    assert text.startswith(f"【{settings.SMS_SENDER_NAME}】")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_alert_text_carries_no_link_and_names_the_site(language):
    # An alert text is a template with short parameters (proof.sms.Text): how many
    # new breaches and the masked number; the site's address is in the template.
    text = render_text(Text("alert", ("2", "138****8000"), language=language))
    assert "://" not in text and "/alerts/" not in text and "www." not in text
    chinese, english = text.splitlines()
    assert chinese.startswith(f"【{settings.SMS_SIGN_NAME}】") and "138****8000" in chinese
    assert "您" not in text and "你的号码" in chinese
    assert english.startswith("breachcheck:") and "2 newly imported" in english


def test_no_page_or_text_says_nin():
    for path in (settings.BASE_DIR / "templates").rglob("*"):
        if path.is_file():
            assert "您" not in path.read_text(encoding="utf-8"), path


def test_meanings_follow_the_data_classes_most_harmful_first():
    said = meanings(["phone", "name", "id_card"])
    assert len(said) == 3
    assert said[0].startswith("Your ID card number") or said[0].startswith("你的身份证号")
    assert meanings(["unknown-class"]) == []
