"""The check_phone command: a number's public breaches, or why the number is refused."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.factories import breach_with

pytestmark = pytest.mark.django_db


def test_check_phone_command_lists_breaches(capsys):
    breach_with("shop", ["13800138000", "13900139000"])
    call_command("check_phone", "138 0013 8000", "--json")
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["number"] == "138****8000"
    assert [b["slug"] for b in result["breaches"]] == ["shop"]
    call_command("check_phone", "13700137000", "--json")
    assert json.loads(capsys.readouterr().out.strip())["breaches"] == []


def test_check_phone_command_rejects_invalid_numbers():
    with translation.override("en"), pytest.raises(CommandError, match="too few digits"):
        call_command("check_phone", "1380013")


def test_check_phone_command_shows_unpublished_and_sensitive_breaches_marked(capsys):
    # An operator checks an import before publishing it: the breach must show.
    breach_with("fresh", ["13800138000"], published_at=None, title="Fresh import")
    breach_with("clinic", ["13800138000"], is_sensitive=True)
    breach_with("old", ["13800138000"], is_retired=True)
    breach_with("other", ["13900139000"], published_at=None)
    call_command("check_phone", "13800138000", "--json")
    found = {b["slug"]: b for b in json.loads(capsys.readouterr().out)["breaches"]}
    assert set(found) == {"fresh", "clinic", "old"}
    assert found["fresh"]["published"] is False and found["fresh"]["public"] is False
    assert found["clinic"]["sensitive"] is True and found["clinic"]["public"] is True
    assert found["old"]["retired"] is True and found["old"]["public"] is False
    call_command("check_phone", "13800138000")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "138****8000: 3 breach(es)"
    assert any("fresh" in line and line.endswith("[unpublished]") for line in lines)
    assert any("clinic" in line and line.endswith("[sensitive]") for line in lines)
    assert any("old" in line and line.endswith("[retired]") for line in lines)
