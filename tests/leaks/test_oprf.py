"""RFC 9497 appendix A.1.1: OPRF(ristretto255, SHA-512), base mode."""

import pytest

from leaks import oprf
from tests.support.oprf_vectors import BLIND, KEY_INFO, SECRET, SEED, VECTORS


def test_derive_key_pair_gives_the_rfc_key():
    secret, public = oprf.derive_key_pair(SEED, KEY_INFO)
    assert secret.hex() == SECRET
    assert len(public) == 32


@pytest.mark.parametrize(("message", "blinded", "evaluated", "output"), VECTORS)
def test_the_rfc_vectors_pass(message, blinded, evaluated, output):
    message = bytes.fromhex(message)
    scalar, blinded_element = oprf.blind(message, bytes.fromhex(BLIND))
    assert blinded_element.hex() == blinded
    evaluated_element = oprf.blind_evaluate(bytes.fromhex(SECRET), blinded_element)
    assert evaluated_element.hex() == evaluated
    assert oprf.finalize(message, scalar, evaluated_element).hex() == output
    assert oprf.evaluate(bytes.fromhex(SECRET), message).hex() == output


def test_a_random_blind_gives_the_same_output():
    secret, _ = oprf.derive_key_pair(SEED, KEY_INFO)
    scalar, blinded = oprf.blind(b"+8613800138000")
    output = oprf.finalize(b"+8613800138000", scalar, oprf.blind_evaluate(secret, blinded))
    assert output == oprf.evaluate(secret, b"+8613800138000")
    assert blinded != oprf.blind(b"+8613800138000")[1]


@pytest.mark.parametrize("bad", [bytes(32), b"\xff" * 32, b"\x01" * 31, b""])
def test_invalid_elements_are_refused(bad):
    with pytest.raises(oprf.InvalidInput):
        oprf.blind_evaluate(bytes.fromhex(SECRET), bad)


def test_expand_message_xmd_matches_rfc_9380():
    # RFC 9380 appendix K.3, expand_message_xmd(SHA-512), len_in_bytes 0x20.
    dst = b"QUUX-V01-CS02-with-expander-SHA512-256"
    assert oprf.expand_message_xmd(b"abcdef0123456789", dst, 32).hex() == (
        "087e45a86e2939ee8b91100af1583c4938e0f5fc6c9db4b107b83346bc967f58"
    )
