"""Small things people notice: extensions, plurals, the demo number, README links."""

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from imports.demo import DEMO_NUMBER
from leaks.phones import InvalidPhone, normalize
from tests.factories import breach_with
from tests.support.checks import check
from tests.support.services import need

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize(
    "raw",
    [
        "+86 138 0013 8000 ext",
        "+86 138 0013 8000 ext. 12",
        "13800138000 转 123",
        "010-12345678转123",
        "010-65529988 分机 12",
        "+1 650 253 0000 x1234",
        "13800138000#123",
    ],
)
def test_an_extension_is_refused_for_what_it_is(raw):
    with pytest.raises(InvalidPhone) as caught:
        normalize(raw)
    assert caught.value.reason == "extension"
    with translation.override("en"):
        assert "extension" in caught.value.message


def test_numbers_that_merely_look_long_keep_their_reason():
    with pytest.raises(InvalidPhone) as caught:
        normalize("010-12345678-123")
    assert caught.value.reason == "too_long"
    assert normalize("(+86)13800138000").e164 == "+8613800138000"


@pytest.mark.django_db
def test_the_check_form_explains_an_extension(client):
    html = client.post("/", {"phone": "13800138000 转 123"}).content.decode()
    assert "不接受分机号" in html
    english = client.post(
        "/", {"phone": "+86 138 0013 8000 ext. 12"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    error = re.findall(r'<p class="error"[^>]*role="alert">(.*?)</p>', english, re.S)[0]
    assert "An extension (ext., 转, 分机) is not accepted" in error
    assert "too many digits" not in error


@pytest.mark.django_db
def test_english_pages_never_say_one_plural(client):
    breach_with("one", ["13800138000"], title="One")
    pages = ["/", "/breaches/", "/breaches/one/"]
    texts = [client.get(p, HTTP_ACCEPT_LANGUAGE="en").content.decode() for p in pages]
    texts.append(check(client, "13900139000", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    for text in texts:
        assert not re.search(r"\b1 (breaches|numbers|datasets|imports|rows|hours|days)\b", text)
    assert "1 leaked dataset." in texts[0] and "1 number" in texts[1]
    assert "We searched 1 breach (phone numbers in it: 1)" in texts[3]


@pytest.mark.slow
@pytest.mark.django_db
def test_load_demo_ends_with_the_demo_number_in_a_box():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[0] == lines[-1] and set(lines[0]) == {"+", "-"}
    assert any(DEMO_NUMBER in line and line.startswith("|") for line in lines)
    assert len({len(line) for line in lines}) == 1  # a closed box
    again = io.StringIO()
    call_command("load_demo", "--print-only", stdout=again)
    assert DEMO_NUMBER in again.getvalue()


def test_make_run_repeats_the_demo_number_after_the_server_starts():
    run = (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert run.index("load_demo --print-only") < run.index("runserver")


def test_every_relative_link_in_the_readme_is_a_committed_file():
    need(shutil.which("git") is not None and (ROOT / ".git").exists(), "git checkout")
    tracked = set(
        subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.splitlines()
    )
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", readme)
    relative = [link.split("#", 1)[0] for link in links if not re.match(r"[a-z]+:|#", link)]
    assert relative, "the README links the design notes"
    for link in relative:
        assert link in tracked, f"README links {link}, which is not committed"
