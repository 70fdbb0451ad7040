"""The one place that reads the clock, so tests and benchmarks can replace it."""

from datetime import UTC, datetime


def now() -> datetime:
    """Return the current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)
