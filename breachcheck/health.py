"""Health checks for load balancers and orchestrators.

- ``/healthz/live``: the process answers. It reads no database, cache or session,
  so a slow database never gets a healthy process restarted; it is also the floor
  the check-path benchmark compares against (bench/check_throughput.py).
- ``/healthz/ready``: the process can serve: the database (and the replica that
  lookups read from, if any) answers and, when ``REDIS_URL`` is set, Redis answers.
  Otherwise 503 with a short JSON reason (the failing part's name, never a
  connection string or an error text).
"""

from functools import lru_cache

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from breachcheck.db_router import replica_alias

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
    aliases = [DEFAULT_DB_ALIAS, *filter(None, [replica_alias()])]
    failing = [f"database:{alias}" for alias in aliases if not _database_ok(alias)]
    if settings.REDIS_URL and not _redis_ok(settings.REDIS_URL):
        failing.append("redis")
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    return JsonResponse({"status": "ok"})


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
