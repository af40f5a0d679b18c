"""Health checks for load balancers and orchestrators.

- ``/healthz/live``: the process answers. It reads no database, cache or session,
  so a slow database never gets a healthy process restarted; it is also the floor
  the check-path benchmark compares against (bench/check_throughput.py).
- ``/healthz/ready``: the process can serve: the database answers and, when
  ``REDIS_URL`` is set, Redis answers. Otherwise 503 with a short JSON reason (the
  failing part's name, never a connection string or an error text). With a read
  replica it also says the replica's state ("replica": "ok", "lagging 45 s",
  "down", at most DATABASE_REPLICA_CHECK_SECONDS old); a replica that is down or
  behind leaves the site ready, since lookups then read the primary
  (breachcheck/replica.py).
"""

from functools import lru_cache

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from breachcheck.replica import replica_configured, replica_state

# A load balancer probes every few seconds: a dead dependency must fail the probe
# well within that, not hang it.
REDIS_TIMEOUT_SECONDS = 1.0


@require_GET
@never_cache
def live(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


@require_GET
@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    failing = [] if _database_ok(DEFAULT_DB_ALIAS) else [f"database:{DEFAULT_DB_ALIAS}"]
    if settings.REDIS_URL and not _redis_ok(settings.REDIS_URL):
        failing.append("redis")
    body: dict[str, object] = (
        {"status": "unavailable", "failing": failing} if failing else {"status": "ok"}
    )
    if replica_configured():
        # As lookups see it (probed at most DATABASE_REPLICA_CHECK_SECONDS ago), so a
        # replica that does not answer holds up one probe in that time, not every one.
        body["replica"] = replica_state().label
    return JsonResponse(body, status=503 if failing else 200)


def _database_ok(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def _redis_ok(url: str) -> bool:
    try:
        return bool(_redis_client(url).ping())
    except (redis.RedisError, OSError):
        return False


@lru_cache(maxsize=4)
def _redis_client(url: str) -> redis.Redis:
    # One pooled client per process; its short timeouts are the probe's, not the cache's.
    return redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
    )
