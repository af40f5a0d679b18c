"""Real parts a test may need (Redis, Chromium, Node.js, git): skipped here, required in CI.

In CI (CI=true) a missing service or browser fails the test instead of
skipping it, so a green CI means every test ran.
"""

import os
from typing import Any

import pytest

IN_CI = os.getenv("CI", "").lower() == "true"
CHROMIUM = os.getenv("CHROMIUM_PATH", "/usr/bin/chromium")


def need(condition: bool, what: str) -> None:
    """Skip outside CI when a real part is missing; fail in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not available here")


def redis_commands(client: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the commands ``client`` sends from now on, in order."""
    sent: list[str] = []
    real = client.execute_command

    def noted(*args: Any, **kwargs: Any) -> Any:
        sent.append(str(args[0]).upper())
        return real(*args, **kwargs)

    monkeypatch.setattr(client, "execute_command", noted)
    return sent
