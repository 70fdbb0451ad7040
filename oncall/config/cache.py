"""Django's Redis cache with the process's connection pools, not each request's.

Under ASGI every request runs in a context of its own, and Django's cache handler gives each
context a new cache object (asgiref Local); Django's Redis client keeps its connection pools on
that object, so every request opened a pool and a TCP connection to Redis, and a rate-limit check
cost a connection set-up (bench/bench_ingest_breakdown.py: about 1.2 ms of a 6 ms ingest request,
one connection per request). Here the pools belong to the process, keyed by server and options,
and every cache object uses them. redis-py's pools are thread-safe and start afresh in a forked
child (a Celery worker), so sharing them is safe.
"""

from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_pools: dict[tuple, dict] = {}
_lock = threading.Lock()


class ProcessPoolsClient(RedisCacheClient):
    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        key = (tuple(servers), tuple(sorted((k, repr(v)) for k, v in options.items())))
        with _lock:
            self._pools = _pools.setdefault(key, {})

    def _get_connection_pool(self, write):
        index = self._get_connection_pool_index(write)
        pool = self._pools.get(index)
        if pool is None:
            with _lock:  # one pool per server, however many requests ask at once
                pool = self._pools.get(index)
                if pool is None:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    self._pools[index] = pool
        return pool


class ProcessRedisCache(RedisCache):
    """RedisCache whose connection pools are shared by every cache object of the process."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ProcessPoolsClient
