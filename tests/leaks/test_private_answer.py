"""The private check's answer: its encoding, its stable padding, what an import
changes in it, its size for a full bucket, the per-process cache, the shared
result frame and the wider bucket option (docs/PRIVATE_CHECK.md)."""

import bisect
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leaks import private_check, private_client, private_encoder, private_encoding, public_set
from leaks.hashing import bucket_range, current_version, phone_bucket, phone_key
from leaks.lookups import bucket_entries
from leaks.models import Breach, Exposure
from tests.factories import breach_with, import_job, import_run

pytestmark = pytest.mark.django_db

E164 = "+8613800138000"
BUCKET = phone_bucket(E164)


def numbers_in_bucket(bucket: int, count: int, bits: int = 16, start: int = 0) -> list[str]:
    """E.164 numbers (not E164) whose bucket is ``bucket``."""
    found = []
    for n in range(start, start + 10**7):
        e164 = f"+86139{n:08d}"
        if private_client.bucket_of(e164, bits) == bucket and e164 != E164:
            found.append(e164)
            if len(found) == count:
                return found
    raise AssertionError("too few numbers in the bucket")


def ask(client, e164: str = E164, bits: int = 16):
    blind, body = private_client.request_for(e164, bits)
    response = client.post(
        reverse("bc-private-evaluate"), json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return blind, response.content, private_encoding.decode(response.content)


def import_numbers(breach: Breach, numbers: list[str]) -> None:
    """Numbers imported into an existing breach, through the importer and its merge."""
    folder = Path(tempfile.mkdtemp(prefix="bc-dump-"))
    dump = folder / "more.csv"
    dump.write_text("phone\n" + "".join(f"{n}\n" for n in numbers))
    import_run(import_job(breach, dump, delete_file=True))
    shutil.rmtree(folder, ignore_errors=True)


# The encoding


def test_entries_survive_encoding_and_decoding():
    rng = random.Random(5)
    for count, bits, breaches in [(0, 48, 3), (1, 48, 1), (300, 48, 40), (2000, 44, 700)]:
        table = rng.sample(range(1, 10**6), breaches)
        prefixes = sorted(rng.sample(range(1 << bits), count))
        lists = [tuple(sorted(rng.sample(table, rng.choice((1, 1, 2, 3))))) for _ in prefixes]
        entries = list(zip(prefixes, lists, strict=True))
        body = private_encoder.encode_entries(entries, bits)
        data = private_encoding.encode(
            bucket_bits=64 - bits, version=3, evaluated=bytes(range(32)), body=body
        )
        answer = private_encoding.decode(data)
        assert answer.entries == entries
        assert (answer.bucket_bits, answer.version, answer.evaluated) == (
            64 - bits,
            3,
            bytes(range(32)),
        )


def test_a_number_in_more_than_64_breaches_is_encoded_like_any_other():
    # Placeholder numbers turn up in most dumps: a long list must not break its bucket.
    entries = [(5, tuple(range(1, 200))), (9, (3,))]
    body = private_encoder.encode_entries(entries, 48)
    data = private_encoding.encode(bucket_bits=16, version=1, evaluated=bytes(32), body=body)
    assert private_encoding.decode(data).entries == entries


def test_a_cut_or_foreign_answer_is_refused():
    body = private_encoder.encode_entries([(5, (1,)), (9, (2, 3))], 48)
    data = private_encoding.encode(bucket_bits=16, version=1, evaluated=bytes(32), body=body)
    for bad in (data[:30], data[:-1], b"BCPB" + data[4:], b"{}"):
        with pytest.raises(private_encoding.MalformedAnswer):
            private_encoding.decode(bad)


# Stable padding


def test_two_answers_for_one_bucket_are_identical(client):
    breach_with("shop", [E164, *numbers_in_bucket(BUCKET, 3)], title="Shop")
    _blind, first, answer = ask(client)
    private_check.clear_cache()  # the second one is derived again, not cached
    _blind, second, again = ask(client)
    # Only the evaluated element (42 bytes of head) differs: it answers another blinding.
    assert first[42:] == second[42:]
    assert answer.entries == again.entries
    assert answer.evaluated != again.evaluated


def test_a_publish_adds_its_entries_and_moves_no_padding_prefix(client):
    shop = breach_with("shop", [E164], title="Shop")
    _blind, _data, before = ask(client)
    newcomer = numbers_in_bucket(BUCKET, 1)[0]
    forum = breach_with("forum", [newcomer, "13700137000"], title="Forum", published_at=None)
    _blind, _data, same = ask(client)
    assert same.entries == before.entries  # not public yet: nothing changes
    forum.published_at = timezone.now()
    forum.save(update_fields=["published_at"])
    blind, _data, after = ask(client, newcomer)
    old, new = dict(before.entries), dict(after.entries)
    # The breach's one number in this bucket is added; every earlier prefix stays,
    # and a list changed only by naming the breach just published (docs/PRIVATE_CHECK.md).
    assert len(new) == len(old) + 1 and old.keys() <= new.keys()
    for prefix, ids in old.items():
        grown = set(new[prefix]) - {forum.pk}
        assert new[prefix] == ids or (forum.pk in new[prefix] and grown <= set(ids))
    assert private_client.matches(newcomer, blind, after) == {forum.pk}
    assert shop.pk in {b for _, ids in after.entries for b in ids}


def test_an_import_adds_its_entries_and_changes_nothing_else(client):
    first, second, third = numbers_in_bucket(BUCKET, 3)
    # Five numbers: one more keeps the shop's size within a power of two (docs).
    shop = breach_with("shop", [E164, first, "13000000001", "13000000002", "13000000003"])
    forum = breach_with("forum", [second, "13000000004"], title="Forum")
    _blind, _data, before = ask(client)
    import_numbers(shop, [third.removeprefix("+86"), second.removeprefix("+86")])
    shop.refresh_from_db()
    assert shop.pwn_count == 7
    blind, _data, after = ask(client)
    old, new = dict(before.entries), dict(after.entries)
    # One new entry (the number new to the bucket), one list grown (a number now in
    # two breaches), every other entry, real or padding, as it was.
    added = new.keys() - old.keys()
    assert len(added) == 1 and new[added.pop()] == (shop.pk,)
    assert old.keys() <= new.keys()
    changed = {p for p in old if old[p] != new[p]}
    both = tuple(sorted((shop.pk, forum.pk)))
    assert [(old[p], new[p]) for p in changed] == [((forum.pk,), both)]
    assert private_client.matches(E164, blind, after) == {shop.pk}


def test_padding_depends_on_the_bucket_and_the_key_version_only(settings):
    first = private_check.padding(BUCKET, 1)
    assert private_check.padding(BUCKET, 1) == first
    assert private_check.padding(BUCKET + 1, 1) != first
    base = settings.PRIVATE_CHECK_ENTRIES
    assert base <= len(first) < 2 * base
    # The counts of different buckets differ: an answer's size is not the bucket's alone.
    assert len({len(private_check.padding(b, 1)) for b in range(20)}) > 5


def plain_answer_entries(rows, bucket: int, version: int) -> list:
    """bucket_answer_entries written plainly, one entry at a time: the reference its
    loops in C must agree with."""
    public = private_check.public_set()
    entries: dict[int, set[int]] = {}
    for prefix, breach_id in rows:
        entries.setdefault(prefix, set()).add(breach_id)
    ring = private_check._ring(private_check._padding_key(version), private_check._weights(public))
    for prefix, slots in private_check.padding(bucket, version):
        for slot in slots:
            at = bisect.bisect(ring.positions, slot) % len(ring.owners)
            entries.setdefault(prefix, set()).add(ring.owners[at])
    return sorted((prefix, tuple(sorted(ids))) for prefix, ids in entries.items())


def test_entries_of_several_breaches_and_padding_meeting_real_keys_are_merged(monkeypatch):
    shop = breach_with("shop", ["13700137000"], pwn_count=5000)
    forum = breach_with("forum", ["13700137001"], pwn_count=300)
    courier = breach_with("courier", ["13700137002"], pwn_count=40)
    version = current_version()
    padding = private_check.padding(BUCKET, version)
    rows = sorted(
        [(7, shop.pk), (7, forum.pk), (7, courier.pk), (9, forum.pk), (12, shop.pk)]
        # A real key equal to a padding prefix (odds 1 in 2^42 or less in real life).
        + [(padding[3][0], courier.pk), (padding[3][0], shop.pk)]
    )
    monkeypatch.setattr(private_check, "bucket_entries", lambda *args: rows)
    entries = private_check.bucket_answer_entries(BUCKET, version)
    assert sorted(entries) == plain_answer_entries(rows, BUCKET, version)
    assert dict(entries)[7] == tuple(sorted((shop.pk, forum.pk, courier.pk)))
    assert {shop.pk, courier.pk} <= set(dict(entries)[padding[3][0]])
    # Two padding entries with one prefix (as unlikely) make one entry too.
    words = private_check._padding_words

    def twice(bucket: int, version: int):
        prefixes, lengths, positions = words(bucket, version)
        prefixes = prefixes.copy()
        prefixes[1] = prefixes[0]
        return prefixes, lengths, positions

    monkeypatch.setattr(private_check, "_padding_words", twice)
    entries = private_check.bucket_answer_entries(BUCKET, version)
    assert sorted(entries) == plain_answer_entries(rows, BUCKET, version)
    assert len(entries) == len({prefix for prefix, _ in entries})


def test_the_answer_is_the_plain_one_for_many_buckets():
    breach_with("shop", numbers_in_bucket(BUCKET, 40), pwn_count=9000)
    breach_with("forum", numbers_in_bucket(BUCKET, 20, start=10**5), pwn_count=70)
    breach_with("both", numbers_in_bucket(BUCKET, 10), pwn_count=2)  # the shop's first ten
    version = current_version()
    for bucket in (BUCKET, BUCKET + 1, 0, 65535):
        rows = bucket_entries(bucket, version)
        entries = private_check.bucket_answer_entries(bucket, version)
        assert sorted(entries) == plain_answer_entries(rows, bucket, version)
    assert any(len(ids) == 2 for _, ids in private_check.bucket_answer_entries(BUCKET, version))


# A full bucket


@pytest.mark.slow
def test_a_bucket_of_15000_exposures_answers_in_96_kb_and_tells_numbers_apart(client):
    rng = random.Random(20)
    first, last = bucket_range(BUCKET)
    shop = breach_with("shop", [E164], title="Shop")
    others = [breach_with(f"b{i}", [], title=f"B {i}") for i in range(40)]
    keys = rng.sample(range(first, last + 1), 12_000)
    rows = [Exposure(phone_key=k, key_version=1, breach=rng.choice(others)) for k in keys]
    # A quarter of the numbers are in a second breach: 15,000 exposures in all.
    for key in keys[:2_999]:
        rows.append(Exposure(phone_key=key, key_version=1, breach=shop))
    Exposure.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    assert Exposure.objects.filter(phone_key__gte=first, phone_key__lte=last).count() == 15_000
    for breach in [shop, *others]:
        breach.pwn_count = Exposure.objects.filter(breach=breach).count()
        breach.save(update_fields=["pwn_count"])
    blind, data, answer = ask(client)
    assert len(data) <= 96_000, len(data)
    assert len(answer.entries) >= 12_001
    assert private_client.matches(E164, blind, answer) == {shop.pk}
    miss = numbers_in_bucket(BUCKET, 1)[0]
    assert phone_key(miss) not in set(keys)
    blind, _data, answer = ask(client, miss)
    assert private_client.matches(miss, blind, answer) == set()
    # Asked again, the answer comes from this process's cache.
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        ask(client)
    assert not any("leaks_exposure" in q["sql"] for q in queries.captured_queries)
    assert time.perf_counter() - started < 1


# The per-process cache


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
def test_with_a_cache_of_its_own_a_process_answers_another_process_import_within_the_snapshot_age(
    client, monkeypatch
):
    # The embedded default: the worker's import moves the version token in the
    # worker's own memory only; this process sees it when its snapshot is rebuilt.
    shop = breach_with("shop", [E164], title="Shop")
    _blind, _data, before = ask(client)
    newcomer = numbers_in_bucket(BUCKET, 1)[0]
    with connection.cursor() as cursor:  # as the worker's merge writes, no signal here
        cursor.execute(
            "INSERT INTO leaks_exposure (phone_key, key_version, breach_id) VALUES (%s, %s, %s)",
            [phone_key(newcomer), current_version(), shop.pk],
        )
    _blind, _data, cached = ask(client)
    assert cached.entries == before.entries  # within the snapshot's age: as it was
    later = time.monotonic() + public_set.MAX_AGE_SECONDS + 1
    monkeypatch.setattr(public_set.time, "monotonic", lambda: later)
    blind, _data, after = ask(client, newcomer)
    assert private_client.matches(newcomer, blind, after) == {shop.pk}


def test_the_cache_keeps_answers_until_an_import_and_never_grows_past_its_bound(client, settings):
    shop = breach_with("shop", [E164], title="Shop")
    ask(client)
    with CaptureQueriesContext(connection) as queries:
        ask(client)
    assert not any("leaks_exposure" in q["sql"] for q in queries.captured_queries)
    import_numbers(shop, ["13000000009"])
    with CaptureQueriesContext(connection) as queries:
        ask(client)
    assert any("leaks_exposure" in q["sql"] for q in queries.captured_queries)

    settings.PRIVATE_CHECK_CACHE_MB = 1
    cache = private_check._BodyCache()
    for i in range(10):
        cache.put(("b", i), bytes(300_000))
    assert cache.size == (3, 900_000)
    assert cache.get(("b", 9)) is not None and cache.get(("b", 0)) is None
    cache.put(("big",), bytes(2**21))  # larger than the whole cache: not kept
    assert cache.get(("big",)) is None and cache.size[1] <= 2**20


# The result frame


def test_the_result_frame_is_the_same_for_everyone_and_revalidated(client, django_user_model):
    breach_with("shop", [E164], title="Shop")
    url = reverse("bc-private-result")
    first = client.get(url)
    client.cookies["csrftoken"] = "x" * 32
    client.cookies["sessionid"] = "someone-else"
    second = client.get(url)
    assert first.content == second.content
    assert b"csrfmiddlewaretoken" not in first.content
    assert "Set-Cookie" not in first.headers
    assert first["Cache-Control"] == "public, no-cache"
    assert "Cookie" in first["Vary"] and "Accept-Language" in first["Vary"]
    etag = first["ETag"]
    assert second["ETag"] == etag
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    breach_with("forum", [E164], title="Forum")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Forum" in changed.content.decode()


# The wider bucket


@override_settings(PHONE_KEY_BUCKET_BITS=20)
def test_a_site_with_20_bit_buckets_answers_clients_that_read_its_width(client):
    shop = breach_with("shop", [E164], title="Shop")
    assert phone_bucket(E164) == private_client.bucket_of(E164, 20) >= 0
    assert 'data-bucket-bits="20"' in client.get(reverse("bc-check")).content.decode()
    assert 'data-bucket-bits="20"' in client.get(reverse("bc-private-result")).content.decode()
    blind, _data, answer = ask(client, bits=20)
    assert answer.bucket_bits == 20 and answer.prefix_bits == 44
    assert private_client.matches(E164, blind, answer) == {shop.pk}
    _blind, body = private_client.request_for(E164, 20)
    body["bucket"] = 1 << 20
    response = client.post(
        reverse("bc-private-evaluate"), json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400


def test_the_bucket_width_setting_is_checked():
    from leaks.checks import bucket_bits_check

    assert bucket_bits_check(None) == []
    for bits in (15, 23):
        with override_settings(PHONE_KEY_BUCKET_BITS=bits):
            assert [e.id for e in bucket_bits_check(None)] == ["breachcheck.E003"]


def test_keys_keep_their_layout_at_16_bits():
    """The default is today's layout: existing databases need no migration."""
    from leaks import oprf
    from leaks.hashing import phone_hash, server_key

    output = oprf.evaluate(server_key(), E164.encode())
    assert phone_hash(E164) == BUCKET.to_bytes(2, "big") + output[:6]
    assert current_version() == 1


def test_a_number_only_in_a_sensitive_breach_changes_no_answer(client):
    """Its bucket's answer is byte for byte what it is without the sensitive breach,
    so the number reads as one in none (and so do the answer's size and timing)."""
    breach_with("shop", [E164], title="Shop")
    _blind, before, _answer = ask(client)
    secret = numbers_in_bucket(BUCKET, 1)[0]
    breach_with("clinic", [secret, E164], title="Clinic", is_sensitive=True)
    blind, after, answer = ask(client, secret)
    assert after[42:] == before[42:]
    assert private_client.matches(secret, blind, answer) == set()
