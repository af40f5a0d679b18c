"""Deployment checks, security headers, CSRF on every form, Argon2."""

import os
import re
import secrets
import subprocess
import sys
import tempfile

import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hasher

from tests.support import ROOT


def _templates() -> list:
    return sorted([*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")])


def _deploy_check(**env) -> subprocess.CompletedProcess:
    production = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "breachcheck.settings",
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "breachcheck.example",
        "SMS_BACKEND": "proof.sms.TwilioBackend",
        # Not the checkout's .data/, where `make run` leaves a secret key.
        "BREACHCHECK_DATA_DIR": tempfile.mkdtemp(prefix="bc-deploy-check-"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_check_deploy_is_clean_under_production_settings():
    result = _deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_check_deploy_catches_a_weakened_production_setting():
    # Proves the check above can fail: turning HSTS off is reported.
    result = _deploy_check(SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


@pytest.mark.slow
def test_check_deploy_refuses_a_development_sms_backend():
    result = _deploy_check(SMS_BACKEND="proof.sms.ConsoleBackend")
    assert result.returncode != 0
    assert "breachcheck.E001" in result.stdout + result.stderr


@pytest.mark.slow
def test_production_refuses_to_start_without_a_secret_key():
    result = _deploy_check(SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.slow
@pytest.mark.django_db
def test_every_page_sends_a_csp_without_inline_script_and_other_headers(client):
    for path in ["/", "/privacy/", "/breaches/", "/api/v1/docs", "/admin/login/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        csp = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
        assert directives["script-src"] == "'self'", path
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert directives["frame-ancestors"] == "'none'"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]


def test_templates_have_no_inline_script_or_event_handlers():
    for path in _templates():
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag, f"inline script in {path}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"inline event handler in {path}"


# The private check's result frame is the same for everyone (cached, docs/PRIVATE_CHECK.md):
# its forms get the token of the page that shows it, from static/js/private-check.js.
SHARED_FRAMES = ("private_result.html",)


def test_every_post_form_in_the_templates_has_a_csrf_token():
    forms = 0
    for path in _templates():
        for form in re.findall(r"<form\b.*?</form>", path.read_text(), flags=re.S | re.I):
            if re.search(r'method="post"', form, flags=re.I):
                forms += 1
                if path.name in SHARED_FRAMES:
                    continue
                assert "{% csrf_token %}" in form, f"form without csrf_token in {path}"
    assert forms >= 2
    script = (ROOT / "static/js/private-check.js").read_text()
    assert "form.prepend(token.cloneNode())" in script


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused():
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/", {"phone": "13800138000"}).status_code == 403
    page = strict.get("/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    response = strict.post("/", {"phone": "13800138000", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_argon2_is_the_password_hasher():
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert get_hasher("default").algorithm == "argon2"


@pytest.mark.slow
@pytest.mark.django_db
def test_admin_passwords_are_stored_with_argon2(django_user_model):
    user = django_user_model.objects.create_user("boss", password="right-horse-battery-staple")
    assert user.password.startswith("argon2$")
    assert user.check_password("right-horse-battery-staple")


def test_merge_parts_that_do_not_divide_the_partitions_are_refused(settings):
    from leaks.checks import merge_parts_check

    settings.EXPOSURE_PARTITIONS, settings.IMPORT_MERGE_PARTS = 16, 4
    assert merge_parts_check(None) == []
    settings.IMPORT_MERGE_PARTS = 3
    assert [error.id for error in merge_parts_check(None)] == ["breachcheck.E002"]
