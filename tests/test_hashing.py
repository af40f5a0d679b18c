import pytest
from django.core.exceptions import ImproperlyConfigured

from leaks.hashing import HASH_BYTES, phone_hash, phone_hashes


def test_hash_is_stable_and_16_bytes():
    first = phone_hash("+8613800138000")
    assert first == phone_hash("+8613800138000")
    assert len(first) == HASH_BYTES


def test_different_numbers_give_different_hashes():
    assert phone_hash("+8613800138000") != phone_hash("+8613800138001")


def test_hash_is_keyed_by_the_pepper(settings):
    before = phone_hash("+8613800138000")
    settings.BREACHCHECK_PEPPER = "another-pepper-" + "y" * 40
    assert phone_hash("+8613800138000") != before


def test_hash_is_not_a_plain_sha256(settings):
    import hashlib

    plain = hashlib.sha256(b"+8613800138000").digest()[:HASH_BYTES]
    assert phone_hash("+8613800138000") != plain


def test_old_peppers_stay_usable_for_lookups(settings):
    old_key = "old-pepper-" + "z" * 40
    settings.BREACHCHECK_PEPPER = "new-pepper-" + "n" * 40
    settings.BREACHCHECK_PEPPER_VERSION = 2
    settings.BREACHCHECK_OLD_PEPPERS = f"1:{old_key}"
    hashes = phone_hashes("+8613800138000")
    assert set(hashes) == {1, 2}
    assert hashes[1] != hashes[2]


def test_a_missing_or_short_pepper_is_refused(settings, tmp_path):
    settings.BREACHCHECK_PEPPER = ""
    settings.BREACHCHECK_PEPPER_DEFAULT_FILE = tmp_path / "absent"
    with pytest.raises(ImproperlyConfigured):
        phone_hash("+8613800138000")
    settings.BREACHCHECK_PEPPER = "short"
    with pytest.raises(ImproperlyConfigured):
        phone_hash("+8613800138000")


def test_the_pepper_can_come_from_a_file(settings, tmp_path):
    key_file = tmp_path / "pepper"
    key_file.write_text("file-pepper-" + "f" * 40 + "\n")
    settings.BREACHCHECK_PEPPER = ""
    settings.BREACHCHECK_PEPPER_DEFAULT_FILE = key_file
    from_file = phone_hash("+8613800138000")
    settings.BREACHCHECK_PEPPER = "file-pepper-" + "f" * 40
    assert phone_hash("+8613800138000") == from_file
