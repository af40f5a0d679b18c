"""Every reader and importer error has a Chinese translation with the same placeholders."""

import ast
import re
from pathlib import Path

from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    *sorted((ROOT / "imports" / "readers").glob("*.py")),
    *sorted((ROOT / "imports").glob("*.py")),
]


def error_messages() -> set[str]:
    """First string argument of every DumpError(...) and gettext_noop(...) of the importer."""
    found = set()
    for path in SOURCES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                "DumpError",
                "gettext_noop",
            ):
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.add(first.value)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                name = getattr(node.targets[0], "id", "")
                if name in ("CRASHED", "NO_ROWS", "FILE_GONE"):
                    found.add(node.value.value)
    return found


def test_every_error_message_is_translated_with_its_placeholders():
    messages = error_messages()
    assert len(messages) > 35
    with translation.override("zh-hans"):
        for message in messages:
            chinese = translation.gettext(message)
            assert chinese != message, message
            placeholders = set(re.findall(r"%\(\w+\)s", message))
            assert set(re.findall(r"%\(\w+\)s", chinese)) == placeholders, message
            assert "--" not in chinese, message
