"""Take the README's screenshots: home, result, breach and about pages, in
Chinese and English, on a phone (390x844) and a desktop (1280x900); and the
admin's side on a desktop: a finished import's page and its publish step.

Runs a throw-away embedded site (its own SQLite file and keys in a temporary
folder) with the demo breach, on a free 127.0.0.1 port, and drives Debian's
Chromium with Playwright. `make screenshots` runs it.
"""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
DEVICES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
LANGUAGES = {"zh": "zh-CN", "en": "en-US"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bc-shots-"))
    env = {
        **os.environ,
        "DEBUG": "1",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BREACHCHECK_PEPPER": secrets.token_urlsafe(48),
        "BREACHCHECK_DATA_DIR": str(work),
        "CELERY_TASK_ALWAYS_EAGER": "True",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    subprocess.run([*manage, "load_demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    # A second, made-up breach imported but not published yet, and an admin to publish it.
    dump = work / "hotel.csv"
    dump.write_text("手机号,姓名\n" + "".join(f"1390013{n:04d},某人\n" for n in range(40)))
    subprocess.run(
        [
            *manage,
            "import_breach",
            str(dump),
            "--breach",
            "demo-hotel",
            "--title",
            "示例：某酒店",
            "--inline",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    password = secrets.token_urlsafe(16)
    create_admin = (
        "from django.contrib.auth.models import User; "
        f"User.objects.create_superuser('admin', password={password!r})"
    )
    subprocess.run(
        [*manage, "shell", "-c", create_admin], cwd=ROOT, env=env, check=True, capture_output=True
    )
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/", timeout=2)  # noqa: S310 - loopback only
                break
            except OSError:
                time.sleep(0.2)
        shoot(base)
        shoot_admin(base, password)
    finally:
        server.terminate()
        server.wait()


def shoot(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=os.getenv("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for device, viewport in DEVICES.items():
            for lang, locale in LANGUAGES.items():
                context = browser.new_context(locale=locale, viewport=viewport)
                page = context.new_page()
                name = f"{device}-{lang}"
                page.goto(base + "/")
                page.screenshot(path=str(OUT / f"home-{name}.png"))
                page.fill("input[name=phone]", "138 0013 8000")
                page.click("form.check button[type=submit]")
                page.wait_for_selector(".verdict:visible")
                page.screenshot(path=str(OUT / f"result-{name}.png"))
                page.goto(base + "/breaches/demo-card-shop/")
                page.screenshot(path=str(OUT / f"breach-{name}.png"))
                page.goto(base + "/about/")
                page.screenshot(path=str(OUT / f"about-{name}.png"))
                context.close()
        browser.close()
    print(f"Saved to {OUT}")


def shoot_admin(base: str, password: str) -> None:
    """The admin's publish step: the finished import offers it, the publishing page
    shows the checklist; desktop only (the admin is a desktop tool)."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=os.getenv("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for lang, locale in LANGUAGES.items():
            context = browser.new_context(locale=locale, viewport=DEVICES["desktop"])
            page = context.new_page()
            page.goto(base + "/admin/login/")
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", password)
            page.click("input[type=submit], button[type=submit]")
            page.wait_for_url(base + "/admin/")
            page.screenshot(path=str(OUT / f"admin-home-desktop-{lang}.png"))
            page.goto(base + "/admin/leaks/breach/?q=demo-hotel")
            page.click("#result_list a:has-text('示例：某酒店')")
            page.screenshot(path=str(OUT / f"admin-breach-desktop-{lang}.png"))
            page.click(".publish-state a.button")
            page.wait_for_selector("#publishing")
            page.screenshot(path=str(OUT / f"admin-publish-desktop-{lang}.png"), full_page=True)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
