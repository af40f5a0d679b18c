"""Publishing where admins look for it: the breach's admin page, the finished import's
page, a checklist that warns without blocking, a preview, one audited POST."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from leaks.models import Breach
from tests.factories import breach_with_numbers, staff_user

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def fresh():
    """A breach with a finished import, not published, with no date, description or classes."""
    return breach_with_numbers("card-shop", ["13800138000", "13900139000"], publish=False)


def test_the_breach_admin_page_says_it_is_not_published_and_links_to_publishing(
    admin_client, fresh
):
    page = admin_client.get(f"/admin/leaks/breach/{fresh.pk}/change/", **EN).content.decode()
    assert "Not published" in page
    assert f"/staff/breaches/{fresh.pk}/publishing/" in page
    assert "3 things citizens will see missing" in page


def test_the_checklist_warns_of_what_citizens_will_see_missing_without_blocking(
    admin_client, fresh
):
    page = admin_client.get(f"/staff/breaches/{fresh.pk}/publishing/", **EN).content.decode()
    assert "No breach date" in page and "No description" in page and "No data classes" in page
    assert 'value="publish"' in page
    assert f"/staff/breaches/{fresh.pk}/preview/" in page
    fresh.breach_date, fresh.description, fresh.data_classes = "2024-03-01", "Members", ["phone"]
    fresh.save()
    page = admin_client.get(f"/staff/breaches/{fresh.pk}/publishing/", **EN).content.decode()
    assert "No breach date" not in page and "are filled in" in page


def test_publishing_is_a_post_written_to_the_audit_log(admin_client, fresh):
    url = f"/staff/breaches/{fresh.pk}/publishing/"
    AuditEvent.objects.all().delete()
    response = admin_client.post(url, {"action": "publish"}, **EN)
    assert response.status_code == 302 and response["Location"] == url
    fresh.refresh_from_db()
    assert fresh.published_at is not None
    event = AuditEvent.objects.get()
    assert event.actor_name == "boss" and event.changes["published_at"][0] is None
    assert "is published" in admin_client.get(url, **EN).content.decode()
    assert admin_client.get(f"/breaches/{fresh.slug}/").status_code == 200

    admin_client.post(url, {"action": "unpublish"})
    fresh.refresh_from_db()
    assert fresh.published_at is None
    assert AuditEvent.objects.count() == 2
    assert admin_client.get(f"/breaches/{fresh.slug}/").status_code == 404


def test_publishing_needs_csrf_and_the_change_permission(fresh):
    boss = staff_user("boss")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(boss)
    assert (
        strict.post(f"/staff/breaches/{fresh.pk}/publishing/", {"action": "publish"}).status_code
        == 403
    )
    fresh.refresh_from_db()
    assert fresh.published_at is None
    viewer = Client()
    viewer.force_login(staff_user("viewer", is_superuser=False))
    url = f"/staff/breaches/{fresh.pk}/publishing/"
    assert viewer.post(url, {"action": "publish"}).status_code == 403
    fresh.refresh_from_db()
    assert fresh.published_at is None


def test_a_breach_without_numbers_cannot_be_published_and_the_page_says_why(admin_client):
    empty = Breach.objects.create(slug="empty", title="Empty")
    page = admin_client.get(f"/staff/breaches/{empty.pk}/publishing/", **EN).content.decode()
    assert "It cannot be published yet. It has no finished import yet." in page
    assert 'value="publish"' not in page
    admin_client.post(f"/staff/breaches/{empty.pk}/publishing/", {"action": "publish"})
    empty.refresh_from_db()
    assert empty.published_at is None


def test_the_preview_shows_the_public_page_of_an_unpublished_breach(admin_client, fresh):
    page = admin_client.get(f"/staff/breaches/{fresh.pk}/preview/", **EN).content.decode()
    assert "not public until the breach is published" in page
    assert "<h1>Card Shop</h1>" in page
    assert Client().get(f"/staff/breaches/{fresh.pk}/preview/").status_code == 302


def test_the_finished_imports_page_offers_publishing_as_the_next_step(admin_client, fresh):
    job = fresh.imports.get()
    page = admin_client.get(f"/staff/imports/{job.pk}/", **EN).content.decode()
    assert "Next step: publish" in page
    assert f'name="next" value="/staff/imports/{job.pk}/"' in page
    response = admin_client.post(
        f"/staff/breaches/{fresh.pk}/publishing/",
        {"action": "publish", "next": f"/staff/imports/{job.pk}/"},
    )
    assert response["Location"] == f"/staff/imports/{job.pk}/"
    bad = admin_client.post(
        f"/staff/breaches/{fresh.pk}/publishing/",
        {"action": "unpublish", "next": "https://evil.example/"},
    )
    assert bad["Location"] == f"/staff/breaches/{fresh.pk}/publishing/"


def test_the_admin_is_named_after_the_site_and_links_to_the_upload_page(admin_client):
    page = admin_client.get("/admin/", **EN).content.decode()
    assert "Django" not in page.split("<body")[1].split("</header>")[0]
    assert "breachcheck" in page
    assert "/staff/imports/new/" in page


def test_the_upload_page_wears_the_admin_look_not_the_citizens(admin_client):
    page = admin_client.get("/staff/imports/new/", **EN).content.decode()
    assert 'class="breadcrumbs"' in page and "css/staff.css" in page
    assert "The number you type is not stored" not in page


def test_the_bulk_action_publishes_with_a_word_about_what_is_missing(admin_client, fresh):
    response = admin_client.post(
        "/admin/leaks/breach/",
        {"action": "publish", "_selected_action": [fresh.pk]},
        follow=True,
        **EN,
    )
    page = response.content.decode()
    assert "Card Shop is published." in page
    assert "Card Shop: No breach date" in page
    fresh.refresh_from_db()
    assert fresh.published_at is not None


def test_the_import_report_names_an_unknown_province_as_the_charts_do(admin_client, fresh):
    job = fresh.imports.get()
    job.report = {**job.report, "top_regions": {"CN": 2, "广东省": 1}}
    job.save(update_fields=["report"])
    page = admin_client.get(f"/staff/imports/{job.pk}/", **EN).content.decode()
    assert "Unknown province: 2" in page and "CN: 2" not in page


def test_import_breach_publish_warns_of_what_citizens_will_see_missing(tmp_path, capsys):
    from django.core.management import call_command

    dump = tmp_path / "dump.csv"
    dump.write_text("phone\n13800138000\n13900139000\n")
    call_command("import_breach", str(dump), "--breach", "cli-shop", "--inline", "--publish")
    err = capsys.readouterr().err
    assert "Published, but: No breach date" in err
    assert Breach.objects.get(slug="cli-shop").published_at is not None
