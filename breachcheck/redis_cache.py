"""Django's Redis cache, keeping its client objects.

Django's RedisCacheClient builds a new ``redis.Redis`` on every cache call;
the connections come from a shared pool, but each new client fills its table
of response callbacks again, which was about 2 ms of CPU per check across the
gate, the session and the snapshot version. A ``redis.Redis`` is safe to share
between threads, so one per server is kept. It keeps one connection of its
own (single_connection_client, under a lock for threaded workers): a command
taken from the pool first polls the socket to see it is clean, a syscall more
on every cache call. A forked process (a Celery child) makes its own client,
so no two processes share one socket.

Failures: the connect and read timeouts are the settings' REDIS_TIMEOUT_SECONDS
(CACHES OPTIONS), so a stopped or hung Redis fails a cache call within about
that long; a failed call drops the connection and the next call connects
again, so the gate opens by itself when Redis is back (docs/FAIL_SAFE.md).
Threaded workers share the one connection under its lock: while Redis hangs
they wait on each other's timeouts, so prefer sync workers or short timeouts.
"""

import os
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# Forks of this process so far, as the child sees it: a client made before the
# last fork is its parent's (cheaper to compare than a getpid() call per cache call).
_forks = [0]
os.register_at_fork(after_in_child=lambda: _forks.__setitem__(0, _forks[0] + 1))


class PooledClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._forks = _forks[0]

    def get_client(self, key: object = None, *, write: bool = False) -> Any:
        if self._forks != _forks[0]:
            self._clients = {}
            self._forks = _forks[0]
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(
                connection_pool=pool, single_connection_client=True
            )
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = PooledClientRedisCacheClient
