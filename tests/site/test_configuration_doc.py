"""docs/CONFIGURATION.md names every setting read from the environment."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "breachcheck" / "settings.py", ROOT / "breachcheck" / "env.py"]
READERS = {"getenv", "get"}  # os.getenv(...), os.environ.get(...)


def _reader(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id.startswith("env")  # envbool, envint, envlist, envsecret, ...
    if isinstance(func, ast.Attribute):
        if func.attr == "getenv":
            return True
        return func.attr == "get" and ast.unparse(func.value) == "os.environ"
    return False


def environment_names(source: str) -> set[str]:
    """Every name read from the environment with a literal: os.getenv("X"),
    os.environ["X"], os.environ.get("X"), env*("X", ...)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _reader(node) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
        if (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            names.add(node.slice.value)
    return names


def test_the_scan_finds_every_way_a_setting_is_read():
    source = (
        'A = os.getenv("ONE", "1")\nB = envint("TWO", "2")\nC = os.environ["THREE"]\n'
        'D = os.environ.get("FOUR")\nE = envsecret("FIVE")\nF = {"KEY": os.getenv("SIX")}\n'
        'G = settings.get("NOT_ENV")\n'
    )
    assert environment_names(source) == {"ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX"}


def test_every_setting_read_from_the_environment_is_documented():
    documented = (ROOT / "docs" / "CONFIGURATION.md").read_text(encoding="utf-8")
    names = set().union(*(environment_names(path.read_text()) for path in SOURCES))
    assert len(names) > 100  # the scan still sees the settings
    missing = sorted(name for name in names if f"`{name}`" not in documented)
    assert not missing, f"add these to docs/CONFIGURATION.md: {missing}"
