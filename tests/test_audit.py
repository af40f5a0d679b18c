"""The audit log: who created, edited, deleted a breach or started an import, and when."""

import datetime

import pytest
from django.db import transaction

from audit.models import AuditEvent
from imports.jobs import import_create
from leaks.models import Breach

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", password="right-horse-battery-staple")
    client.force_login(user)
    client.user = user
    return client


BREACH_FORM = {
    "title": "Card shop",
    "slug": "card-shop",
    "domain": "cards.example",
    "breach_date": "2024-03-01",
    "description": "Members",
    "data_classes": ["phone", "name"],
    "imports-TOTAL_FORMS": "0",
    "imports-INITIAL_FORMS": "0",
    "imports-MIN_NUM_FORMS": "0",
    "imports-MAX_NUM_FORMS": "1000",
}


def test_creating_a_breach_in_the_admin_is_recorded_with_who(admin_client):
    response = admin_client.post("/admin/leaks/breach/add/", BREACH_FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.actor_name) == ("create", admin_client.user, "boss")
    assert event.object_repr == "Card shop"
    assert event.changes["slug"] == "card-shop"


def test_editing_a_breach_records_what_changed(admin_client):
    breach = Breach.objects.create(slug="card-shop", title="Card shop", domain="cards.example")
    AuditEvent.objects.all().delete()
    form = {**BREACH_FORM, "is_sensitive": "on", "breach_date": "2024-03-01"}
    response = admin_client.post(f"/admin/leaks/breach/{breach.pk}/change/", form)
    assert response.status_code == 302
    event = AuditEvent.objects.get()
    assert event.action == "change"
    assert event.actor_name == "boss"
    assert event.changes["is_sensitive"] == [False, True]
    assert event.changes["breach_date"] == [None, "2024-03-01"]
    assert "title" not in event.changes


def test_deleting_a_breach_is_recorded(admin_client):
    breach = Breach.objects.create(slug="card-shop", title="Card shop")
    response = admin_client.post(f"/admin/leaks/breach/{breach.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Breach.objects.exists()
    event = AuditEvent.objects.get(action="delete")
    assert (event.actor_name, event.object_id, event.changes["slug"]) == (
        "boss",
        str(breach.pk),
        "card-shop",
    )


def test_bulk_deletion_records_every_breach(admin_client):
    ids = [Breach.objects.create(slug=f"b{i}", title=f"B{i}").pk for i in range(3)]
    response = admin_client.post(
        "/admin/leaks/breach/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="delete").count() == 3


def test_changes_outside_a_request_are_recorded_as_system():
    breach = Breach.objects.create(slug="cli", title="From the shell")
    breach.breach_date = datetime.date(2020, 1, 1)
    breach.save()
    assert list(AuditEvent.objects.order_by("pk").values_list("action", "actor_name")) == [
        ("create", "system"),
        ("change", "system"),
    ]


def test_the_importers_count_update_is_not_an_edit():
    breach = Breach.objects.create(slug="shop", title="Shop")
    breach.pwn_count = 10
    breach.save(update_fields=["pwn_count"])
    assert AuditEvent.objects.filter(action="change").count() == 0


def test_starting_an_import_records_who_and_which_file(tmp_path, django_user_model):
    user = django_user_model.objects.create_user("analyst")
    breach = Breach.objects.create(slug="shop", title="Shop")
    with transaction.atomic():
        job = import_create(
            breach=breach, path=tmp_path / "dump.csv", source_name="dump.csv", user=user
        )
    event = AuditEvent.objects.get(action="import")
    assert (event.actor, event.object_repr) == (user, "Shop")
    assert event.changes == {"job": job.pk, "file": "dump.csv"}


def test_the_audit_log_is_read_only_in_the_admin(admin_client):
    Breach.objects.create(slug="shop", title="Shop")
    event = AuditEvent.objects.get()
    assert admin_client.get("/admin/audit/auditevent/").status_code == 200
    assert (
        "Shop" in admin_client.get(f"/admin/audit/auditevent/{event.pk}/change/").content.decode()
    )
    assert admin_client.get("/admin/audit/auditevent/add/").status_code == 403
    assert (
        admin_client.post(
            f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()
