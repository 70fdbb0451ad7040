"""When a page interrupts a person: PagerDuty's sleep, off-hours and business-hours categories.

No Django here, and no clock: every function takes the instant it classifies. Datetimes in must
be timezone-aware (a naive one is a ValueError); instants out are in UTC, local times in the
person's zone.

The hours are wall-clock hours in the person's zone, each interval [start, end):

- sleep: 22:00-08:00, any day of the week (sleep wins over the weekend);
- off: 18:00-22:00 Monday to Friday, and all of Saturday and Sunday outside sleep hours;
- business: 08:00-18:00 Monday to Friday.
"""

import enum
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SLEEP_ENDS = time(8)
BUSINESS_ENDS = time(18)
SLEEP_STARTS = time(22)
_SATURDAY = 5


class Interruption(enum.StrEnum):
    SLEEP = "sleep"
    OFF = "off"
    BUSINESS = "business"


def interruption_at(at: datetime, time_zone: str) -> tuple[datetime, Interruption]:
    """Return the person's local time at `at` and how much a page then would interrupt them.

    In a repeated hour the local time equals no instant in another zone under == (PEP 495):
    compare it after .astimezone(UTC), or subtract.
    """
    local = _local(at, time_zone)
    return local, _category(local)


def night_of(at: datetime, time_zone: str) -> date | None:
    """Return the night a sleep-hours instant belongs to, named by its evening's local date.

    A page at 03:00 on Tuesday wakes the person on Monday's night; an instant outside sleep
    hours belongs to no night (None).
    """
    local = _local(at, time_zone)
    if _category(local) is not Interruption.SLEEP:
        return None
    return local.date() if local.time() >= SLEEP_STARTS else local.date() - timedelta(days=1)


def night_window(night: date, time_zone: str) -> tuple[datetime, datetime]:
    """Return [22:00 on `night`, 08:00 the next day) in the person's zone, as UTC instants."""
    zone = _zone(time_zone)
    start = datetime.combine(night, SLEEP_STARTS, zone).astimezone(UTC)
    end = datetime.combine(night + timedelta(days=1), SLEEP_ENDS, zone).astimezone(UTC)
    return start, end


def next_daytime(at: datetime, time_zone: str) -> datetime:
    """Return when a page that must not wake anyone may go out: `at`, or the next 08:00 local.

    A local 08:00 that does not exist (clocks jump over it) resolves with fold=0, that is with
    the offset before the jump, so it lands just after the jump; one that happens twice resolves
    to its first occurrence unless that is not after `at`.
    """
    local = _local(at, time_zone)
    if _category(local) is not Interruption.SLEEP:
        return at.astimezone(UTC)
    day = local.date() if local.time() < SLEEP_ENDS else local.date() + timedelta(days=1)
    # The third day only matters in zones whose clocks ran back over 08:00; none do today.
    for offset in range(3):
        for fold in (0, 1):
            morning = datetime.combine(day + timedelta(days=offset), SLEEP_ENDS, local.tzinfo)
            candidate = morning.replace(fold=fold).astimezone(UTC)
            if candidate > at:
                return candidate
    raise AssertionError(f"no 08:00 after {at.isoformat()} in {time_zone}")  # pragma: no cover


def _category(local: datetime) -> Interruption:
    clock = local.time()
    if clock >= SLEEP_STARTS or clock < SLEEP_ENDS:
        return Interruption.SLEEP
    if local.weekday() >= _SATURDAY or clock >= BUSINESS_ENDS:
        return Interruption.OFF
    return Interruption.BUSINESS


def _local(at: datetime, time_zone: str) -> datetime:
    if not isinstance(at, datetime):
        raise ValueError(f"at must be a datetime, got {at!r}")
    if at.utcoffset() is None:
        raise ValueError(f"at is a naive datetime ({at.isoformat()}); give it a time zone")
    return at.astimezone(_zone(time_zone))


def _zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ValueError(f"unknown time zone {time_zone!r}") from error
