import datetime

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from breachcheck.tasks import expired_data_clear
from leaks.hashing import current_version, phone_hash
from leaks.models import OwnershipCode

pytestmark = pytest.mark.django_db


def make_code(expires_in: int) -> OwnershipCode:
    return OwnershipCode.objects.create(
        phone_hash=phone_hash(f"+861380013{8000 + expires_in:04d}"),
        key_version=current_version(),
        code_hash=b"x" * 32,
        expires_at=timezone.now() + datetime.timedelta(seconds=expires_in),
    )


def test_expired_sessions_and_codes_are_deleted_and_live_ones_kept():
    live, dead = SessionStore(), SessionStore()
    live["bc_proof_proven"] = dead["bc_proof_proven"] = [{"hashes": {"1": "ab"}}]
    live.create()
    dead.create()
    Session.objects.filter(session_key=dead.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    fresh, stale = make_code(600), make_code(-1)

    expired_data_clear()

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert list(OwnershipCode.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert stale.pk != fresh.pk


def test_new_key_notes_of_long_finished_imports_are_deleted():
    from datetime import timedelta

    from breachcheck.housekeeping import expired_data_clear as clear
    from leaks.models import Breach, ImportJob, NewExposure

    breach = Breach.objects.create(slug="b", title="b")
    now = timezone.now()
    old, recent = (
        ImportJob.objects.create(breach=breach, source_name="x", file_path="-", finished_at=at)
        for at in (now - timedelta(days=9), now - timedelta(days=1))
    )
    for job in (old, recent):
        NewExposure.objects.create(job=job, phone_key=1, key_version=1)
    assert clear()["new_key_notes"] == 1
    assert list(NewExposure.objects.values_list("job_id", flat=True)) == [recent.pk]
