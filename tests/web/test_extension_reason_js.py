"""The browser names an extension as the server does ("extensions are not accepted"),
not "doesn't look like a number"."""

import json
import shutil
import subprocess

import pytest

from leaks.phones import InvalidPhone, normalize
from tests.support import ROOT
from tests.support.services import need

INPUTS = [
    "13800138000 ext. 12",
    "010-65529988 转 123",
    "13800138000x12",
    "13800138000 #12",
    "010 6552 9988 分机 8",
]


def _python_reason(raw: str) -> str:
    try:
        normalize(raw, "CN")
    except InvalidPhone as exc:
        return exc.reason
    return ""


@pytest.mark.slow
def test_the_browser_and_the_server_both_refuse_an_extension_as_such():
    node = shutil.which("node")
    need(node is not None, "Node.js (node) for the browser code")
    module = (ROOT / "static/js/phone-normalize.js").as_uri()
    script = (
        f"import {{ normalize }} from {json.dumps(module)};"
        f"const inputs = {json.dumps(INPUTS)};"
        "console.log(JSON.stringify(inputs.map((raw) => normalize(raw).reason || '')));"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    browser = json.loads(done.stdout)
    server = [_python_reason(raw) for raw in INPUTS]
    assert server == ["extension"] * len(INPUTS)
    assert browser == server
