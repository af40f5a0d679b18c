import json
import re

import pytest
from django.utils import timezone

from leaks.hashing import phone_hash
from leaks.models import Breach, Exposure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_proves_their_number_and_sees_the_sensitive_breach(page, live_server, sms_outbox):
    for slug, title, sensitive in (
        ("shop", "Card shop members", False),
        ("clinic", "Clinic patients", True),
    ):
        breach = Breach.objects.create(
            slug=slug, title=title, is_sensitive=sensitive, pwn_count=1, published_at=timezone.now()
        )
        Exposure.objects.create(
            breach=breach, phone_hash=phone_hash("+8613800138000"), key_version=1
        )

    page.goto(live_server.url + "/")
    page.fill("input[name=phone]", "138 0013 8000")
    page.click("form.check button[type=submit]")
    page.wait_for_selector("li.breach")
    assert page.locator("li.breach h2").all_inner_texts() == ["Card shop members"]

    page.fill("form.prove input[name=phone]", "13800138000")
    page.click("form.prove button[type=submit]")
    page.wait_for_selector("input[name=code]")
    assert "138****8000" in page.inner_text("main")
    body = json.loads(sms_outbox.read_text(encoding="utf-8").splitlines()[-1])["body"]
    code = re.search(r"\b(\d{6})\b", body).group(1)
    page.fill("input[name=code]", code)
    page.click("form.check button[type=submit]")
    page.wait_for_selector("p.proven")

    titles = page.locator("li.breach h2").all_inner_texts()
    assert sorted(titles) == ["Card shop members", "Clinic patients"]
    assert "13800138000" not in page.url and "8000" not in page.url
