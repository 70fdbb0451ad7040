"""Instants as integer microseconds since the epoch: cheap to compare, bisect and add."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .model import PersonKey, RotaError, Shift, _check_aware

# --- Instants as integer microseconds since the epoch: cheap to compare, bisect and add ---------

Piece = tuple[int, int, PersonKey | None]  # [start, end) in microseconds, and who is on

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = _EPOCH.replace(tzinfo=None)  # for local wall-clock times
_DAWN = -(1 << 62)  # before any datetime: stands for an unbounded active_from
_DUSK = 1 << 62  # after any datetime: stands for an unbounded active_until
_HOUR_US = 3_600_000_000


def _us(value: datetime) -> int:
    return _delta_us(value - _EPOCH)


def _resolve(local: datetime, zone: ZoneInfo) -> int:
    """Return the instant that the naive wall-clock time `local` names in `zone`.

    local.fold picks the offset where the wall clock repeats or skips (PEP 495).
    """
    # zone.utcoffset(naive) is cheap; local.replace(tzinfo=zone) costs forty times more.
    return _us_naive(local) - _delta_us(zone.utcoffset(local))


def _us_naive(local: datetime) -> int:
    return _delta_us(local - _NAIVE_EPOCH)


def _delta_us(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _utc(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _instant(value: datetime, name: str) -> int:
    _check_aware(value, name)
    return _us(value)


def _range(since: datetime, until: datetime) -> tuple[int, int]:
    lo, hi = _instant(since, "since"), _instant(until, "until")
    if hi < lo:
        raise RotaError(f"until ({until.isoformat()}) is before since ({since.isoformat()})")
    return lo, hi


def _time_of_day(value: time) -> timedelta:
    return timedelta(
        hours=value.hour, minutes=value.minute, seconds=value.second, microseconds=value.microsecond
    )


def _shift(piece: Piece) -> Shift:
    start, end, person = piece
    return Shift(_utc(start), _utc(end), person)
