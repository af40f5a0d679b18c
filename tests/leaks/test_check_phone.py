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
