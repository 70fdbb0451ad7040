"""Per-integration rate limit: a counter per one-second window in Django's cache (Redis in
production, so every web process shares it; local memory otherwise)."""

from __future__ import annotations

import logging
import math
from datetime import datetime

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from incidents.models import Integration

logger = logging.getLogger(__name__)

# Long enough to outlive its window on every process, short enough to leave nothing behind.
WINDOW_TTL_SECONDS = 2


def _count(key: str) -> int:
    """Count one more request in the window `key`; return the count so far."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        # One round trip (Django's incr takes two): INCR, then EXPIRE once, by the request that
        # opened the window. Each window has a key of its own, so a key whose EXPIRE was lost
        # is never counted on again.
        client = cache._cache.get_client(key, write=True)
        count = client.incr(key)
        if count == 1:
            client.expire(key, WINDOW_TTL_SECONDS)
        return count
    if cache.add(key, 1, timeout=WINDOW_TTL_SECONDS):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this request opens it again
        cache.add(key, 1, timeout=WINDOW_TTL_SECONDS)
        return 1


def throttle_check(*, integration: Integration, now: datetime) -> int | None:
    """Count one request; return the seconds to wait (Retry-After) when over the limit, else None.

    Never blocks, and lets requests through if the cache is down: a monitoring system's alert
    matters more than a rate limit.
    """
    limit = integration.rate_limit_per_second
    if not limit:
        return None
    instant = now.timestamp()
    window = math.floor(instant)
    try:
        count = _count(f"plantao:throttle:integration:{integration.pk}:{window}")
    except Exception:  # noqa: BLE001 - an unreachable cache must not drop alerts
        logger.warning(
            "Rate limit cache unavailable; letting integration %s through", integration.pk
        )
        return None
    if count <= limit:
        return None
    return max(1, math.ceil(window + 1 - instant))
