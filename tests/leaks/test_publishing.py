"""A breach is unpublished until an import into it finished and an admin publishes it."""

import pytest
from django.urls import reverse
from django.utils import translation

from alerts.models import AlertDelivery
from imports.demo import load_demo
from imports.importer import import_run
from leaks.lookups import found_breaches, totals
from leaks.models import Breach
from leaks.phones import normalize
from tests.factories import dump_job, import_job, subscribe

pytestmark = pytest.mark.django_db
NUMBER = "13800138000"


def imported(tmp_path, slug: str, numbers: list[str], capture) -> Breach:
    breach = Breach.objects.create(slug=slug, title=f"Title {slug}")
    with capture(execute=True):
        import_run(dump_job(tmp_path, breach, numbers, f"{slug}.csv"))
    breach.refresh_from_db()
    return breach


def publicly_visible(client, breach: Breach) -> dict[str, bool]:
    phone = normalize(NUMBER)
    api = [item["name"] for item in client.get("/api/v1/breaches").json()]
    return {
        "catalogue": breach.title in client.get(reverse("bc-breaches")).content.decode(),
        "page": client.get(reverse("bc-breach", args=[breach.slug])).status_code == 200,
        "home": breach.title in client.get(reverse("bc-check")).content.decode(),
        "api": breach.slug in api,
        "api_one": client.get(f"/api/v1/breaches/{breach.slug}").status_code == 200,
        "lookup": breach in found_breaches(phone),
    }


@pytest.mark.slow
def test_an_imported_breach_is_hidden_until_an_admin_publishes_it(
    client, admin_client, tmp_path, django_capture_on_commit_callbacks
):
    breach = imported(tmp_path, "shop", [NUMBER], django_capture_on_commit_callbacks)
    assert breach.pwn_count == 1 and breach.published_at is None
    assert not any(publicly_visible(client, breach).values())
    assert totals() == {"breaches": 0, "numbers": 0}

    changelist = reverse("admin:leaks_breach_changelist")
    admin_client.post(changelist, {"action": "publish", "_selected_action": [breach.pk]})
    breach.refresh_from_db()
    assert breach.published_at is not None
    assert all(publicly_visible(client, breach).values()), publicly_visible(client, breach)
    assert totals() == {"breaches": 1, "numbers": 1}

    admin_client.post(changelist, {"action": "unpublish", "_selected_action": [breach.pk]})
    assert not any(publicly_visible(client, breach).values())


@pytest.mark.slow
def test_publishing_is_refused_without_a_finished_import(admin_client, tmp_path, settings):
    empty = Breach.objects.create(slug="empty", title="Empty")
    failed = Breach.objects.create(slug="failed", title="Failed")
    path = tmp_path / "junk.csv"
    path.write_bytes(b"\x00\x01" * 100)
    import_run(import_job(failed, path, source_name="j"))
    changelist = reverse("admin:leaks_breach_changelist")
    with translation.override("en"):
        response = admin_client.post(
            changelist,
            {"action": "publish", "_selected_action": [empty.pk, failed.pk]},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )
    page = response.content.decode()
    assert page.count("no finished import") == 2 or page.count("没有已完成的导入") == 2, page
    assert not Breach.objects.filter(published_at__isnull=False).exists()


@pytest.mark.slow
def test_alerts_wait_until_the_breach_is_published(
    admin_client, tmp_path, eager_celery, smtp_server, django_capture_on_commit_callbacks
):
    subscribe(NUMBER, email="owner@example.com")
    breach = imported(tmp_path, "shop", [NUMBER], django_capture_on_commit_callbacks)
    assert AlertDelivery.objects.count() == 0 and smtp_server.messages == []

    changelist = reverse("admin:leaks_breach_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(changelist, {"action": "publish", "_selected_action": [breach.pk]})
    assert AlertDelivery.objects.filter(breach=breach).count() == 1
    assert [message.rcpt_tos for message in smtp_server.messages] == [["owner@example.com"]]


@pytest.mark.slow
def test_the_demo_breach_is_published_after_its_import(settings, tmp_path, client):
    settings.DATA_DIR = tmp_path
    breach = load_demo()
    assert breach.published_at is not None and breach.pwn_count > 0
    assert client.get(reverse("bc-breach", args=[breach.slug])).status_code == 200


@pytest.mark.slow
def test_the_migration_publishes_breaches_that_have_a_finished_import(transactional_db):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("leaks", "0004_unlogged_staging")])
    old = executor.loader.project_state([("leaks", "0004_unlogged_staging")]).apps
    OldBreach, OldJob = old.get_model("leaks", "Breach"), old.get_model("leaks", "ImportJob")
    done = OldBreach.objects.create(slug="done", title="Done", pwn_count=3)
    OldJob.objects.create(breach=done, status="done", source_name="a", file_path="")
    failed = OldBreach.objects.create(slug="failed", title="Failed")
    OldJob.objects.create(breach=failed, status="failed", source_name="b", file_path="")
    OldBreach.objects.create(slug="none", title="None")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    published = set(
        Breach.objects.filter(published_at__isnull=False).values_list("slug", flat=True)
    )
    assert published == {"done"}


def test_the_import_command_can_publish_after_a_successful_import(tmp_path, capsys):
    from django.core.management import call_command

    dump = tmp_path / "members.csv"
    dump.write_text("手机号\n13800138000\n")
    call_command("import_breach", str(dump), "--breach", "cli-shop", "--inline")
    assert Breach.objects.get(slug="cli-shop").published_at is None
    call_command("import_breach", str(dump), "--breach", "cli-shop", "--inline", "--publish")
    assert Breach.objects.get(slug="cli-shop").published_at is not None
