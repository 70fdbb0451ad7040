"""Pure arithmetic of the insights: percentiles, 15-minute buckets, local weeks and hours.

No Django, no clock. Instants are timezone-aware.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

BUCKET = timedelta(minutes=15)
MEDIAN, P90 = 0.5, 0.9


def ranks_of(count: int, fraction: float) -> tuple[int, int, float]:
    """Return the two 0-based ranks the `fraction` percentile of `count` values lies between,
    and how far it lies from the first to the second (PostgreSQL's percentile_cont)."""
    position = fraction * (count - 1)
    low = math.floor(position)
    return low, min(low + 1, count - 1), position - low


def percentile_at(values: dict[int, float], count: int, fraction: float) -> float | None:
    """Return the `fraction` percentile of `count` ascending values of which `values` holds
    (by 0-based rank) at least the two ranks_of() names; None when there are none."""
    if count == 0:
        return None
    low, high, weight = ranks_of(count, fraction)
    return values[low] + (values[high] - values[low]) * weight


def percentile_cont(ordered: Sequence[float], fraction: float) -> float | None:
    """Return the `fraction` percentile of `ordered` (ascending) as PostgreSQL's
    percentile_cont does: interpolated between the two nearest ranks; None when empty."""
    return percentile_at(dict(enumerate(ordered)), len(ordered), fraction)


@dataclass(frozen=True)
class Summary:
    """A duration's median and 90th percentile in seconds, over `count` incidents."""

    median: float | None
    p90: float | None
    count: int

    def as_dict(self) -> dict:
        def rounded(value):
            return None if value is None else round(value, 1)

        return {"median": rounded(self.median), "p90": rounded(self.p90), "count": self.count}


def summary_of(ordered: Sequence[float]) -> Summary:
    """Return the Summary of ascending durations in seconds."""
    return Summary(percentile_cont(ordered, MEDIAN), percentile_cont(ordered, P90), len(ordered))


DAY = timedelta(days=1)
EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday, 00:00 UTC


def bucket_floor(at: datetime, size: timedelta = BUCKET) -> datetime:
    """Return the start of the bucket of `size` (15 minutes, or a day; in UTC) holding `at`."""
    return EPOCH + (at - EPOCH) // size * size


def bucket_ceil(at: datetime, size: timedelta = BUCKET) -> datetime:
    """Return the first bucket start at or after `at`."""
    floor = bucket_floor(at, size)
    return floor if floor == at else floor + size


def week_start(at: datetime, zone: tzinfo) -> date:
    """Return the Monday of the week (in `zone`) that holds `at`."""
    local = at.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def weeks_between(since: datetime, until: datetime, zone: tzinfo) -> list[date]:
    """Return the Mondays (in `zone`) of every week the period [since, until) touches."""
    first, last = week_start(since, zone), week_start(until - timedelta(microseconds=1), zone)
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def split_at_buckets(
    since: datetime, until: datetime, watermark: datetime | None, size: timedelta = BUCKET
) -> tuple[tuple[datetime, datetime] | None, list[tuple[datetime, datetime]]]:
    """Split [since, until) into the whole buckets of `size` the rollup holds (before
    `watermark`) and the stretches to read from the raw rows: (rolled or None, [raw, ...])."""
    if watermark is None:
        return None, [(since, until)]
    start, end = bucket_ceil(since, size), min(bucket_floor(until, size), watermark)
    if start >= end:
        return None, [(since, until)]
    raw = [(a, b) for a, b in ((since, start), (end, until)) if a < b]
    return (start, end), raw
