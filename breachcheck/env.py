"""Reading settings from the environment (breachcheck/settings.py)."""

import os
from pathlib import Path


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


def envsecret(name: str, default: str = "") -> str:
    """Read NAME, or the file named by NAME_FILE (Docker and systemd secrets)."""
    if os.getenv(name):
        return os.environ[name]
    path = os.getenv(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return default
