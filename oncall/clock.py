"""The one place that reads the clock, so tests and benchmarks can replace it."""

import time
from datetime import UTC, datetime


def now() -> datetime:
    """Return the current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def sleep(seconds: float) -> None:
    """Wait `seconds` (replaced with the clock in tests, where waiting moves the clock on)."""
    time.sleep(seconds)
