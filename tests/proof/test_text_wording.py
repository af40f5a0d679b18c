"""What the texts say. The templates docs/SMS.md tells the operator to register
say what the site's own free-text templates say (templates/sms/<kind>.txt), with
each provider's variables where the site's parameters go: what a mainland phone
receives is what a phone abroad receives, in the order and under the names
proof.sms sends. And what an alert text tells the person to look for is on the
site's pages."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from proof.sms import TEXT_PARAMS, Text, render_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "SMS.md"


def _registered() -> dict[str, list[str]]:
    """Each provider's template rows of docs/SMS.md, in the page's order (code, alert)."""
    rows: dict[str, list[str]] = {"Tencent": [], "Alibaba": []}
    for provider, text in re.findall(
        r"^\| (Tencent|Alibaba) \| `([^`]+)` \|$", DOC.read_text(), re.M
    ):
        rows[provider].append(text)
    return rows


def _variables(provider: str, kind: str) -> tuple[str, ...]:
    names = TEXT_PARAMS[kind]
    if provider == "Tencent":  # numbered, in the order TemplateParamSet sends them
        return tuple(f"{{{n}}}" for n in range(1, len(names) + 1))
    return tuple(f"${{{name}}}" for name in names)  # Alibaba: TemplateParam's keys


@pytest.mark.parametrize("provider", ["Tencent", "Alibaba"])
def test_the_templates_to_register_are_the_sites_own_texts(settings, provider):
    settings.SMS_SIGN_NAME = "泄露查"
    settings.SITE_URL = "https://xieloucha.example.cn"
    settings.OWNERSHIP_CODE_TTL_SECONDS = 600  # the docs' "10 分钟"
    registered = _registered()[provider]
    assert len(registered) == 2, registered
    for kind, documented in zip(("code", "alert"), registered, strict=True):
        rendered = render_text(Text(kind, _variables(provider, kind), language="zh-hans"))
        chinese = rendered.splitlines()[0]
        # The provider puts the signature in front; the template must not repeat it.
        assert chinese == "【泄露查】" + documented


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_link_an_alert_text_names_is_at_the_bottom_of_every_page(client, db, language):
    rendered = render_text(Text("alert", ("2", "138****8000"), language=language))
    line = rendered.splitlines()[0 if language == "zh-hans" else 1]
    (label,) = re.findall(r"“([^”]+)”", line)
    footer = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode().split("<footer>")[1]
    assert f'<a href="{reverse("bc-alerts-mine")}">{label}</a>' in footer
