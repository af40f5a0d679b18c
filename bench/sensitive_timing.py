"""Does a number that is only in sensitive breaches answer slower or faster than one in none?

An anonymous visitor must not tell the two apart, by the page or by the time
it takes. This builds a temporary database with a public and a sensitive
breach, then times the check view (Django's test client, in process, rate
limits off) for numbers in no breach and numbers only in the sensitive one,
interleaved at random, and prints medians and the difference next to the noise.
Run with `make bench-timing`.
"""

import argparse
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(work: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "breachcheck.settings",
            "BREACHCHECK_DATA_DIR": str(work),
            "SQLITE_PATH": str(work / "db.sqlite3"),
            "BREACHCHECK_PEPPER": secrets.token_urlsafe(48),
            "RATELIMIT_ENABLE": "False",
            "DEBUG": "1",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "testserver",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def numbers(count: int, rng: random.Random) -> list[str]:
    seen: set[str] = set()
    while len(seen) < count:
        seen.add(rng.choice(["139", "186", "150"]) + f"{rng.randrange(10**8):08d}")
    return sorted(seen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2000, help="timed checks per kind")
    parser.add_argument("--breach-size", type=int, default=50_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-timing-"))
    try:
        setup(work)
        from django.test import Client
        from django.utils import timezone

        from leaks.hashing import current_version, phone_key
        from leaks.models import Breach, Exposure
        from leaks.phones import normalize

        rng = random.Random(3)
        pool = numbers(args.breach_size * 2 + 400, rng)
        public, sensitive_rest = pool[: args.breach_size], pool[args.breach_size :]
        sensitive_only, nowhere = sensitive_rest[:200], sensitive_rest[200:400]
        sensitive = sensitive_rest[400:] + sensitive_only
        for slug, members, flag in (("public", public, False), ("sensitive", sensitive, True)):
            # Published, as on the site: an unpublished breach is never looked at.
            breach = Breach.objects.create(
                slug=slug,
                title=slug,
                is_sensitive=flag,
                pwn_count=len(members),
                published_at=timezone.now(),
            )
            Exposure.objects.bulk_create(
                (
                    Exposure(
                        breach=breach,
                        phone_key=phone_key(normalize(n).e164),
                        key_version=current_version(),
                    )
                    for n in members
                ),
                batch_size=5000,
            )

        client = Client()
        plan = [("nowhere", n) for n in nowhere] + [("sensitive-only", n) for n in sensitive_only]
        for _, number in plan:  # warm-up
            client.post("/", {"phone": number})
        times: dict[str, list[float]] = {"nowhere": [], "sensitive-only": []}
        sizes: dict[str, set[int]] = {"nowhere": set(), "sensitive-only": set()}
        for _ in range(args.rounds * 2 // len(plan) + 1):
            rng.shuffle(plan)
            for kind, number in plan:
                # The check and its result page (Post/Redirect/Get), timed together.
                started = time.perf_counter()
                response = client.post("/", {"phone": number}, follow=True)
                times[kind].append(time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
                sizes[kind].add(len(response.content))
        print(
            f"Check view timing, {len(times['nowhere'])} checks per kind, breaches of "
            f"{args.breach_size} numbers each (public and sensitive), SQLite, in process"
        )
        for kind, values in times.items():
            print(
                f"  {kind:<15} median {statistics.median(values) * 1e3:7.3f} ms  "
                f"mean {statistics.mean(values) * 1e3:7.3f} ms  "
                f"stdev {statistics.stdev(values) * 1e3:6.3f} ms  body sizes {sorted(sizes[kind])}"
            )
        diff = statistics.median(times["sensitive-only"]) - statistics.median(times["nowhere"])
        noise = statistics.stdev(times["nowhere"])
        print(
            f"  median difference {diff * 1e6:+.1f} µs; one check's noise (stdev) "
            f"{noise * 1e6:.1f} µs: difference / noise = {abs(diff) / noise:.3f}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
