"""RFC 9497 OPRF, base mode (mode 0), suite ristretto255-SHA512.

Pure functions over bytes, no Django: the server's side of the private check
(`blind_evaluate`), the direct evaluation the importer and the server-side
check use (`evaluate`), and the client's side (`blind`, `finalize`) for the
command-line client and the tests. The group arithmetic is libsodium's,
through `rbcl`, whose wheel bundles libsodium (no system library needed).
Scalars are 32 bytes little-endian, elements are 32-byte ristretto255 encodings.
"""

import hashlib

import rbcl

MODE_OPRF = 0
IDENTIFIER = b"ristretto255-SHA512"
CONTEXT = b"OPRFV1-" + bytes([MODE_OPRF]) + b"-" + IDENTIFIER
HASH_TO_GROUP_DST = b"HashToGroup-" + CONTEXT
HASH_TO_SCALAR_DST = b"HashToScalar-" + CONTEXT
DERIVE_KEY_PAIR_DST = b"DeriveKeyPair" + CONTEXT
ELEMENT_BYTES = 32
SCALAR_BYTES = 32
OUTPUT_BYTES = 64
_HASH_BLOCK = 128  # SHA-512's block size: expand_message_xmd's Z_pad
_UNIFORM_BYTES = 64  # what ristretto255's from_hash and scalar_reduce take


class InvalidInput(ValueError):
    """An input that hashes to the identity, or bytes that are not a valid element."""


def i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def expand_message_xmd(message: bytes, dst: bytes, length: int = _UNIFORM_BYTES) -> bytes:
    """RFC 9380 section 5.3.1 with SHA-512, for outputs up to 64 bytes (one block)."""
    if length > 64 or len(dst) > 255:
        raise ValueError("expand_message_xmd here serves one SHA-512 block and short DSTs")
    dst_prime = dst + i2osp(len(dst), 1)
    b0 = hashlib.sha512(
        bytes(_HASH_BLOCK) + message + i2osp(length, 2) + b"\x00" + dst_prime
    ).digest()
    return hashlib.sha512(b0 + b"\x01" + dst_prime).digest()[:length]


def hash_to_group(message: bytes) -> bytes:
    element = rbcl.crypto_core_ristretto255_from_hash(
        expand_message_xmd(message, HASH_TO_GROUP_DST)
    )
    if element == bytes(ELEMENT_BYTES):
        raise InvalidInput("The input hashes to the identity element.")
    return element


def hash_to_scalar(message: bytes, dst: bytes = HASH_TO_SCALAR_DST) -> bytes:
    return rbcl.crypto_core_ristretto255_scalar_reduce(expand_message_xmd(message, dst))


def derive_key_pair(seed: bytes, info: bytes) -> tuple[bytes, bytes]:
    """(secret key, public key) from a 32-byte seed, RFC 9497 section 3.2.1."""
    if len(seed) != 32:
        raise ValueError("The seed must be 32 bytes.")
    derive_input = seed + i2osp(len(info), 2) + info
    for counter in range(256):
        secret = hash_to_scalar(derive_input + i2osp(counter, 1), DERIVE_KEY_PAIR_DST)
        if secret != bytes(SCALAR_BYTES):
            return secret, rbcl.crypto_scalarmult_ristretto255_base(secret)
    raise ValueError("DeriveKeyPair found no key")  # probability 2^-2000


def random_scalar() -> bytes:
    return rbcl.crypto_core_ristretto255_scalar_random()


def blind(message: bytes, scalar: bytes | None = None) -> tuple[bytes, bytes]:
    """(blind, blinded element) for the client; `scalar` fixes the blind for tests."""
    scalar = scalar if scalar is not None else random_scalar()
    return scalar, _multiply(scalar, hash_to_group(message))


def blind_evaluate(secret: bytes, blinded_element: bytes) -> bytes:
    """The server's one step: multiply the client's element by the key."""
    return _multiply(secret, checked_element(blinded_element))


def finalize(message: bytes, scalar: bytes, evaluated_element: bytes) -> bytes:
    """The client's output: unblind the server's answer and hash it with the input."""
    inverse = rbcl.crypto_core_ristretto255_scalar_invert(scalar)
    return _finalize_hash(message, _multiply(inverse, checked_element(evaluated_element)))


def evaluate(secret: bytes, message: bytes) -> bytes:
    """The same output as blind + blind_evaluate + finalize, computed by the key holder."""
    return _finalize_hash(message, _multiply(secret, hash_to_group(message)))


def checked_element(data: bytes) -> bytes:
    """DeserializeElement: a canonical encoding of a point other than the identity."""
    if (
        len(data) != ELEMENT_BYTES
        or data == bytes(ELEMENT_BYTES)
        or not rbcl.crypto_core_ristretto255_is_valid_point(data)
    ):
        raise InvalidInput("Not a valid ristretto255 element.")
    return data


def _multiply(scalar: bytes, element: bytes) -> bytes:
    try:
        return rbcl.crypto_scalarmult_ristretto255(scalar, element)
    except Exception as exc:  # libsodium refuses a product that is the identity
        raise InvalidInput("The product is the identity element.") from exc


def _finalize_hash(message: bytes, element: bytes) -> bytes:
    return hashlib.sha512(
        i2osp(len(message), 2) + message + i2osp(len(element), 2) + element + b"Finalize"
    ).digest()
