"""Solve a proof-of-work challenge as an attacker's script would, and time it.

``solve(challenge)`` takes the JSON the site's /pow/challenge/ returns and
gives back the form field value (the ALTCHA payload) and the CPU seconds the
solve took in its thread (hashlib's PBKDF2 runs in OpenSSL's C code, about
as fast per core as a browser's WebCrypto).

Run on its own it prints the CPU cost per solve at a few difficulties:

  .venv/bin/python bench/pow_solver.py --difficulty 200 20000 --solves 5
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import altcha


def solve(challenge: dict) -> tuple[str, float]:
    """(payload for the "altcha" field, CPU seconds spent solving)."""
    parsed = altcha.Challenge.from_dict(challenge)
    # This thread's CPU time: an attacker solves many puzzles at once, and the
    # process-wide clock would count each of them several times.
    started = time.thread_time()
    solution = altcha.solve_challenge(parsed, timeout=0)
    spent = time.thread_time() - started
    if solution is None:
        raise RuntimeError("challenge has no solution")
    return altcha.Payload(parsed, solution).to_base64(), spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--difficulty", type=int, nargs="+", default=[200, 20000])
    parser.add_argument("--solves", type=int, default=5)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachcheck.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "s" * 40)
    import django

    django.setup()
    from django.conf import settings

    from disclosure import pow

    print(f"PBKDF2/SHA-256, {settings.POW_COST} iterations per try")
    for difficulty in args.difficulty:
        costs = []
        for _ in range(args.solves):
            payload, spent = solve(pow.challenge(difficulty))
            assert pow.verify(payload)
            costs.append(spent)
        print(
            f"difficulty {difficulty:>6}: {statistics.mean(costs):.3f} CPU-s per solve "
            f"(min {min(costs):.3f}, max {max(costs):.3f}, {len(costs)} solves)"
        )


if __name__ == "__main__":
    main()
