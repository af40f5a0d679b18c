import hashlib

import pytest
from django.core.exceptions import ImproperlyConfigured

from leaks import oprf
from leaks.hashing import (
    KEY_BYTES,
    bucket_range,
    key_bytes,
    legacy_phone_hash,
    phone_bucket,
    phone_hash,
    phone_hashes,
    phone_key,
    server_key,
    stored_key,
)

E164 = "+8613800138000"


def test_hash_is_stable_and_8_bytes():
    first = phone_hash(E164)
    assert first == phone_hash(E164)
    assert len(first) == KEY_BYTES


def test_the_key_is_the_bucket_then_the_oprf_output():
    digest = phone_hash(E164)
    assert digest[:2] == hashlib.sha256(E164.encode()).digest()[:2]
    assert digest[2:] == oprf.evaluate(server_key(), E164.encode())[:6]
    assert int.from_bytes(digest[:2], "big") == phone_bucket(E164)


def test_a_blind_evaluation_gives_the_same_key():
    scalar, blinded = oprf.blind(E164.encode())
    output = oprf.finalize(E164.encode(), scalar, oprf.blind_evaluate(server_key(), blinded))
    assert phone_hash(E164)[2:] == output[:6]


def test_stored_keys_of_a_bucket_are_one_range():
    first, last = bucket_range(phone_bucket(E164))
    assert first <= phone_key(E164) <= last
    assert key_bytes(phone_key(E164)) == phone_hash(E164)
    assert stored_key(b"\x00" * 8) == -(2**63) == bucket_range(0)[0]
    assert stored_key(b"\xff" * 8) == 2**63 - 1 == bucket_range(65535)[1]
    assert bucket_range(1)[0] == bucket_range(0)[1] + 1


def test_different_numbers_give_different_hashes():
    assert phone_hash(E164) != phone_hash("+8613800138001")


def test_hash_is_keyed_by_the_pepper(settings):
    before = phone_hash(E164)
    settings.BREACHCHECK_PEPPER = "another-pepper-" + "y" * 40
    assert phone_hash(E164) != before


def test_hash_is_not_a_plain_sha256():
    plain = hashlib.sha256(E164.encode()).digest()[:KEY_BYTES]
    assert phone_hash(E164) != plain


def test_old_peppers_stay_usable_for_lookups(settings):
    old_key = "old-pepper-" + "z" * 40
    settings.BREACHCHECK_PEPPER = "new-pepper-" + "n" * 40
    settings.BREACHCHECK_PEPPER_VERSION = 2
    settings.BREACHCHECK_OLD_PEPPERS = f"1:{old_key}"
    hashes = phone_hashes(E164)
    assert set(hashes) == {1, 2, -1, -2}
    assert hashes[1] != hashes[2]
    assert hashes[-1] == legacy_phone_hash(E164, 1)
    assert len(hashes[-1]) == 16


def test_a_missing_or_short_pepper_is_refused(settings, tmp_path):
    settings.BREACHCHECK_PEPPER = ""
    settings.BREACHCHECK_PEPPER_DEFAULT_FILE = tmp_path / "absent"
    with pytest.raises(ImproperlyConfigured):
        phone_hash(E164)
    settings.BREACHCHECK_PEPPER = "short"
    with pytest.raises(ImproperlyConfigured):
        phone_hash(E164)


def test_the_pepper_can_come_from_a_file(settings, tmp_path):
    key_file = tmp_path / "pepper"
    key_file.write_text("file-pepper-" + "f" * 40 + "\n")
    settings.BREACHCHECK_PEPPER = ""
    settings.BREACHCHECK_PEPPER_DEFAULT_FILE = key_file
    from_file = phone_hash(E164)
    settings.BREACHCHECK_PEPPER = "file-pepper-" + "f" * 40
    assert phone_hash(E164) == from_file
