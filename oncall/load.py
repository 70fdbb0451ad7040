"""How heavy time on call is for one person: hours in their sleep, weekend and holidays.

No Django here, and no clock. Every interval is [start, end) of timezone-aware datetimes; the
classes are read in the person's own zone, on the wall clock, so a night that a DST change makes
nine or eleven hours long counts nine or eleven hours:

- night: the sleep hours of oncall.fatigue (22:00-08:00 local);
- weekend: all of local Saturday and Sunday;
- holiday: all of a local date in the person's public holidays.

An hour may be in several classes (a Saturday night); `hours` counts every hour once.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from oncall.fatigue import SLEEP_ENDS, SLEEP_STARTS

_SATURDAY = 5
_BOUNDARIES = (SLEEP_ENDS, SLEEP_STARTS)


@dataclass(frozen=True, slots=True)
class Load:
    """Hours on call, and how many of them were night, weekend and holiday hours."""

    hours: float = 0.0
    night: float = 0.0
    weekend: float = 0.0
    holiday: float = 0.0

    def __add__(self, other: "Load") -> "Load":
        return Load(
            self.hours + other.hours,
            self.night + other.night,
            self.weekend + other.weekend,
            self.holiday + other.holiday,
        )


def load_of(
    intervals: Iterable[tuple[datetime, datetime]],
    *,
    time_zone: str,
    holidays: Collection[date] = (),
) -> Load:
    """Return the load of being on call over `intervals`, read in `time_zone`."""
    zone = ZoneInfo(time_zone)
    total = Load()
    for start, end in intervals:
        if start.utcoffset() is None or end.utcoffset() is None:
            raise ValueError("intervals must be timezone-aware")
        for piece_start, piece_end in pieces(start, end, zone):
            total += _piece_load(piece_start, piece_end, zone, holidays)
    return total


def pieces(start: datetime, end: datetime, zone: ZoneInfo):
    """Yield [start, end) cut at every local midnight, 08:00 and 22:00 in `zone` (UTC out)."""
    at = start.astimezone(UTC)
    end = end.astimezone(UTC)
    while at < end:
        cut = min(next_boundary(at, zone), end)
        yield at, cut
        at = cut


def next_boundary(at: datetime, zone: ZoneInfo) -> datetime:
    """Return the first local midnight, 08:00 or 22:00 in `zone` strictly after `at` (UTC)."""
    today = at.astimezone(zone).date()
    for offset in range(3):
        day = today + timedelta(days=offset)
        for clock in (datetime.min.time(), *_BOUNDARIES):
            candidate = datetime.combine(day, clock, zone).astimezone(UTC)
            if candidate > at:
                return candidate
    raise AssertionError(f"no boundary after {at.isoformat()}")  # pragma: no cover


def _piece_load(start: datetime, end: datetime, zone: ZoneInfo, holidays) -> Load:
    hours = (end - start).total_seconds() / 3600
    local = (start + (end - start) / 2).astimezone(zone)
    clock = local.time()
    night = clock >= SLEEP_STARTS or clock < SLEEP_ENDS
    return Load(
        hours=hours,
        night=hours if night else 0.0,
        weekend=hours if local.weekday() >= _SATURDAY else 0.0,
        holiday=hours if local.date() in holidays else 0.0,
    )
