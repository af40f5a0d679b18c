"""The Redis cache keeps one client with its own connection per process; a forked
process (a Celery child) gets its own, never its parent's socket."""

import os

from django.core.cache import cache


def test_one_client_per_process_and_a_forked_child_makes_its_own(redis_client):
    assert cache._cache.get_client(write=True) is redis_client
    cache.set("before-fork", 1)
    parent_socket = redis_client.connection._sock
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports by its exit code
        try:
            mine = cache._cache.get_client(write=True)
            cache.set("from-child", 2)
            ok = mine is not redis_client and mine.connection._sock is not parent_socket
            os._exit(0 if ok and cache.get("before-fork") == 1 else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert cache.get("from-child") == 2
    assert cache._cache.get_client(write=True) is redis_client
