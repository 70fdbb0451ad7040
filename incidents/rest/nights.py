"""PURE: which nights woke a person, and which night of theirs on call comes next.

No Django, no clock: instants are aware datetimes, passed in. A night is named by its evening's
local date in the person's zone (oncall.fatigue.night_of) and spans that zone's sleep hours,
22:00 to 08:00 (oncall.fatigue.night_window), so a night across a change of the clocks is 9 or
11 hours long.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from oncall import fatigue

WEEK_NIGHTS = 7  # the manager notice looks at the last 7 nights
LOOK_AHEAD_NIGHTS = 14  # how far the person's next night on call is looked for


@dataclass(frozen=True)
class SleepPage:
    """A sent sleep-hours page: when it went, and its notification round (incident, step,
    loop), so that an SMS and the call that follows it count once."""

    at: datetime
    round: tuple[int, int, int]


@dataclass(frozen=True)
class Span:
    """[start, end) of the person's shift on schedule `key`."""

    key: Hashable
    start: datetime
    end: datetime


def rounds_by_night(pages: Iterable[SleepPage], time_zone: str) -> dict[date, int]:
    """Return, for each night, how many notification rounds woke the person in it."""
    rounds: dict[date, set] = defaultdict(set)
    for page in pages:
        night = fatigue.night_of(page.at, time_zone)
        if night is not None:  # the person moved zone since: then it was not their night
            rounds[night].add(page.round)
    return {night: len(found) for night, found in rounds.items()}


def nights_woken(nights: Iterable[date], *, last: date) -> int:
    """Return on how many of the WEEK_NIGHTS nights ending with `last` the person was woken."""
    first = last - timedelta(days=WEEK_NIGHTS - 1)
    return len({night for night in nights if first <= night <= last})


def week_of(last: date) -> tuple[date, date]:
    """Return the first and last night of the WEEK_NIGHTS nights ending with `last`."""
    return last - timedelta(days=WEEK_NIGHTS - 1), last


def next_night_on_call(
    shifts: Iterable[Span], *, after: date, time_zone: str, now: datetime
) -> tuple[date, list[Span]] | None:
    """Return the person's first night after `after` that one of `shifts` overlaps (within
    LOOK_AHEAD_NIGHTS), with the overlap: one span per unbroken stretch of each schedule,
    from `now` at the earliest. None if there is no such night."""
    shifts = sorted(shifts, key=lambda s: (s.start, str(s.key)))
    for offset in range(1, LOOK_AHEAD_NIGHTS + 1):
        night = after + timedelta(days=offset)
        start, end = fatigue.night_window(night, time_zone)
        start = max(start, now)
        if end <= start:
            continue  # this night is over already
        pieces = [
            Span(s.key, max(s.start, start), min(s.end, end))
            for s in shifts
            if s.start < end and s.end > start
        ]
        if pieces:
            return night, _joined(pieces)
    return None


def _joined(pieces: list[Span]) -> list[Span]:
    """Join the touching pieces of each schedule: one span per unbroken stretch."""
    joined: list[Span] = []
    for piece in sorted(pieces, key=lambda s: (str(s.key), s.start)):
        last = joined[-1] if joined else None
        if last is not None and last.key == piece.key and piece.start <= last.end:
            joined[-1] = Span(last.key, last.start, max(last.end, piece.end))
        else:
            joined.append(piece)
    return sorted(joined, key=lambda s: (s.start, str(s.key)))
