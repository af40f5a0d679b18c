"""RFC 9497 appendix A.1.1: OPRF(ristretto255, SHA-512), base mode."""

import pytest

from leaks import oprf

SEED = bytes.fromhex("a3" * 32)
KEY_INFO = bytes.fromhex("74657374206b6579")
SECRET = "5ebcea5ee37023ccb9fc2d2019f9d7737be85591ae8652ffa9ef0f4d37063b0e"
BLIND = "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706"
VECTORS = [
    (
        "00",
        "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c",
        "7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e",
        "527759c3d9366f277d8c6020418d96bb393ba2afb20ff90df23fb7708264e2f3"
        "ab9135e3bd69955851de4b1f9fe8a0973396719b7912ba9ee8aa7d0b5e24bcf6",
    ),
    (
        "5a" * 17,
        "da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418",
        "b4cbf5a4f1eeda5a63ce7b77c7d23f461db3fcab0dd28e4e17cecb5c90d02c25",
        "f4a74c9c592497375e796aa837e907b1a045d34306a749db9f34221f7e750cb4"
        "f2a6413a6bf6fa5e19ba6348eb673934a722a7ede2e7621306d18951e7cf2c73",
    ),
]


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
