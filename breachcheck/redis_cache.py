"""Django's Redis cache, keeping its client objects.

Django's RedisCacheClient builds a new ``redis.Redis`` on every cache call;
the connections come from a shared pool, but each new client fills its table
of response callbacks again, which was about 2 ms of CPU per check across the
gate, the session and the snapshot version. A ``redis.Redis`` is safe to share
between threads (each command takes a connection from the pool), so one per
server is kept.
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class PooledClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: object = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = PooledClientRedisCacheClient
