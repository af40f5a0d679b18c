"""Python and the browser's JavaScript agree: on the RFC 9497 vectors, on stored
keys for a sample of numbers, on decoding private-check answers, and on E.164 for
a large corpus of inputs."""

import json
import random
import shutil
import subprocess

import pytest

from leaks import oprf, private_client, private_encoder, private_encoding
from leaks.hashing import phone_hash, server_key
from leaks.phones import InvalidPhone, normalize
from tests.support import ROOT
from tests.support.oprf_vectors import BLIND, KEY_INFO, SECRET, SEED, VECTORS
from tests.support.services import need

pytestmark = pytest.mark.slow

CORPUS_SIZE = 30000


def answers() -> list[dict]:
    """Answers of every shape: random entries at 16, 20 and 22-bit buckets, one for a
    number that is in it (with the blind to finalize), one cut short, one empty."""
    rng = random.Random(3)
    made = []
    for bits, count, breaches in [(16, 500, 30), (20, 2000, 300), (22, 50, 1), (16, 0, 0)]:
        table = rng.sample(range(1, 2**32), breaches)
        prefixes = sorted(rng.sample(range(1 << (64 - bits)), count))
        lists = [
            tuple(sorted(rng.sample(table, min(breaches, rng.choice((1, 2, 4)))))) for _ in prefixes
        ]
        body = private_encoder.encode_entries(list(zip(prefixes, lists, strict=True)), 64 - bits)
        made.append(
            private_encoding.encode(bucket_bits=bits, version=bits, evaluated=bytes(32), body=body)
        )
    e164 = "+8613800138000"
    blind, blinded = oprf.blind(e164.encode())
    output = oprf.evaluate(server_key(), e164.encode())
    mine = int.from_bytes(output[:8], "big") >> 16
    body = private_encoder.encode_entries([(mine, (7, 9)), (mine + 1, (8,))], 48)
    evaluated = oprf.blind_evaluate(server_key(), blinded)
    hit = private_encoding.encode(bucket_bits=16, version=1, evaluated=evaluated, body=body)
    return [
        *({"data": data.hex()} for data in made),
        {"data": hit.hex(), "e164": e164, "blind": blind.hex()},
        {"data": made[0][:-3].hex()},
    ]


def corpus(size: int = CORPUS_SIZE, seed: int = 11) -> list[str]:
    """Valid and invalid inputs in the forms people type and dumps hold."""
    rng = random.Random(seed)
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    mobile = lambda: "1" + rng.choice("3456789") + digits(9)  # noqa: E731
    makers = [
        mobile,
        lambda: "+86 " + (m := mobile())[:3] + " " + m[3:7] + " " + m[7:],
        lambda: "86" + mobile(),
        lambda: "0086" + mobile(),
        lambda: "+86-" + mobile(),
        lambda: mobile().translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        lambda: mobile() + ".0",
        lambda: mobile()[: rng.randint(5, 10)],
        lambda: mobile() + digits(rng.randint(1, 3)),
        lambda: "0" + rng.choice(["10", "20", "21", "755", "571", "898", "311"]) + "-" + digits(8),
        lambda: rng.choice(["010", "021", "0755"]) + digits(rng.randint(5, 9)),
        lambda: "179" + digits(rng.randint(8, 13)),
        lambda: "12" + digits(rng.randint(8, 12)),
        lambda: "400" + digits(7),
        lambda: "95" + digits(rng.randint(3, 9)),
        lambda: "+1 " + digits(3) + "-" + digits(3) + "-" + digits(4),
        lambda: "+44 7" + digits(9),
        lambda: "+81 90" + digits(8),
        lambda: "+49 15" + digits(rng.randint(8, 10)),
        lambda: "+852 " + digits(8),
        lambda: "+886 9" + digits(8),
        lambda: "+" + digits(rng.randint(1, 3)) + " " + digits(rng.randint(4, 13)),
        lambda: "00" + digits(rng.randint(1, 3)) + digits(rng.randint(6, 12)),
        lambda: f"{rng.randint(1, 9)}.{digits(4)}E+10",
        lambda: rng.choice(["", " ", "abc", "手机", "tel:", "+", "++86", "--"]),
        lambda: "".join(rng.choice("0123456789 -+()") for _ in range(rng.randint(1, 20))),
        lambda: "(" + digits(3) + ") " + digits(4) + "-" + digits(4),
        lambda: digits(rng.randint(1, 45)),
    ]
    return [rng.choice(makers)() for _ in range(size)]


def python_outcome(raw: str) -> str:
    try:
        return normalize(raw, "CN").e164
    except InvalidPhone as exc:
        return "!" + exc.reason


@pytest.fixture(scope="module")
def javascript(django_db_blocker):
    node = shutil.which("node")
    need(node is not None, "Node.js (node) for the browser code")
    numbers = ["+8613800138000", "+8617012345678", "+14155550100", "+447700900123", "+861012345678"]
    inputs = corpus()
    vectors = [
        {
            "seed": SEED.hex(),
            "info": KEY_INFO.hex(),
            "secret": SECRET,
            "blind": BLIND,
            "input": message,
            "blinded": blinded,
            "evaluated": evaluated,
        }
        for message, blinded, evaluated, _output in VECTORS
    ]
    job = {
        "root": ROOT.as_uri(),
        "secret": server_key().hex(),
        "numbers": numbers,
        "inputs": inputs,
        "vectors": vectors,
        "answers": answers(),
    }
    done = subprocess.run(
        [node, "--experimental-default-type=module", str(ROOT / "tests/support/js/agree.mjs")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return {"numbers": numbers, "inputs": inputs, "sent": job["answers"], **json.loads(done.stdout)}


def test_javascript_passes_the_rfc_vectors(javascript):
    for result, (_message, _blinded, evaluated, output) in zip(
        javascript["vectors"], VECTORS, strict=True
    ):
        assert result["secret"] == SECRET
        assert result["evaluated"] == evaluated
        assert result["finalized"] == output
        assert result["evaluate"] == output


def test_javascript_finds_the_stored_key_of_each_number(javascript):
    expected = [phone_hash(e164).hex() for e164 in javascript["numbers"]]
    assert javascript["keys"] == expected


def test_javascript_reads_wider_buckets_as_python_does(javascript):
    for e164, (bucket, prefix16, prefix20) in zip(
        javascript["numbers"], javascript["wide"], strict=True
    ):
        output = oprf.evaluate(server_key(), e164.encode())
        assert bucket == private_client.bucket_of(e164, 20)
        assert prefix16 == int.from_bytes(output[:8], "big") >> 16
        assert prefix20 == int.from_bytes(output[:8], "big") >> 20


def test_javascript_decodes_answers_as_python_does(javascript):
    for sent, decoded in zip(javascript["sent"], javascript["answers"], strict=True):
        data = bytes.fromhex(sent["data"])
        try:
            answer = private_encoding.decode(data)
        except private_encoding.MalformedAnswer:
            assert decoded == {"error": "malformed answer"}
            continue
        assert decoded["bucketBits"] == answer.bucket_bits
        assert decoded["version"] == answer.version
        assert [(p, tuple(ids)) for p, ids in decoded["entries"]] == answer.entries
        if "e164" in sent:
            python = private_client.matches(sent["e164"], bytes.fromhex(sent["blind"]), answer)
            assert sorted(decoded["matches"]) == sorted(python) == [7, 9]
    assert sum("error" in decoded for decoded in javascript["answers"]) == 1


def test_javascript_and_phonenumbers_give_the_same_e164(javascript):
    python = [python_outcome(raw) for raw in javascript["inputs"]]
    js = javascript["normalized"]
    valid = sum(not outcome.startswith("!") for outcome in python)
    assert valid > CORPUS_SIZE // 4 and CORPUS_SIZE - valid > CORPUS_SIZE // 4
    pairs = list(zip(javascript["inputs"], python, js, strict=True))
    # The browser never checks another number than the server would.
    assert [(raw, p, j) for raw, p, j in pairs if not j.startswith("!") and j != p] == []
    # It refuses a few inputs phonenumbers reads past: brackets and "+" signs in
    # odd places, or "+0". The person then sees an error and types it again.
    refused = [(raw, p, j) for raw, p, j in pairs if j.startswith("!") and not p.startswith("!")]
    assert all(raw.startswith("+0") or "(" in raw or ")" in raw for raw, _, _ in refused), refused
    assert len(refused) <= CORPUS_SIZE // 2000, refused
    # Typed forms (digits, spaces, dashes, one leading "+" not followed by 0) agree exactly.
    typed = [
        (raw, p, j)
        for raw, p, j in pairs
        if all(c in "0123456789 -" for c in raw.strip().removeprefix("+"))
        and not raw.strip().startswith("+0")
    ]
    assert len(typed) > CORPUS_SIZE // 2
    assert [(raw, p, j) for raw, p, j in typed if p != j and not p.startswith("!")] == []
