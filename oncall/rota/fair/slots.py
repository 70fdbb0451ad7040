"""Hourly slots: which hours must be covered, who may take each, and what each hour weighs.

A slot is the hour [since + t h, since + (t+1) h). It is required when some Need touches it; its
candidates are those Needs' candidates minus whoever is on time off in it (hard). When
`avoid_sleep` holds and a remaining candidate is awake in it, those asleep (any part of the hour in
their 22:00-08:00 local sleep hours) are dropped too (hard); when nobody is awake, anyone remaining
may take it and it counts as night hours. Loads are kept in quarter hours, so a zone offset by 30
or 45 minutes still counts exactly in integers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from math import ceil, floor
from zoneinfo import ZoneInfo

from oncall.load import load_of

from .problem import HOUR, Problem

QUARTERS = 4  # load units per hour


@dataclass(frozen=True)
class Weights:
    """Per slot, in quarter hours: night, weekend and holiday of one person's wall clock."""

    night: tuple[int, ...]
    weekend: tuple[int, ...]
    holiday: tuple[int, ...]
    dates: tuple[tuple[date, ...], ...]  # the local dates each slot touches


@dataclass(frozen=True)
class Grid:
    """The problem cut into hourly slots (people by index, in the order of the participants)."""

    since: datetime
    size: int
    required: tuple[bool, ...]
    layer: tuple[str, ...]  # the layer named by the first Need touching each slot ("" if none)
    candidates: tuple[tuple[int, ...], ...]  # the Needs' candidates, per slot
    off: tuple[frozenset[int], ...]  # candidates on time off, per slot
    asleep: tuple[frozenset[int], ...]  # candidates dropped because someone else is awake
    allowed: tuple[tuple[int, ...], ...]  # who may take each slot
    weights: tuple[Weights, ...]  # per person

    def start(self, slot: int) -> datetime:
        return self.since + slot * HOUR


def grid_of(problem: Problem) -> Grid:
    """Cut `problem` into hourly slots."""
    since = problem.since.astimezone(UTC)
    size = int((problem.until - problem.since) / HOUR)
    index = {participant.key: i for i, participant in enumerate(problem.participants)}
    layer = [""] * size
    candidates: list[set[int]] = [set() for _ in range(size)]
    required = [False] * size
    for need in problem.needs:
        for t in _slots_touched(since, size, need.start, need.end):
            if not required[t]:
                layer[t] = need.layer
            required[t] = True
            candidates[t].update(index[key] for key in need.candidates)
    away = [set() for _ in range(size)]
    for i, participant in enumerate(problem.participants):
        for start, end in participant.unavailable:
            for t in _slots_touched(since, size, start, end):
                away[t].add(i)
    weights = tuple(
        _weights(since, size, participant.time_zone, frozenset(participant.holidays))
        for participant in problem.participants
    )
    off, asleep, allowed = [], [], []
    for t in range(size):
        present = sorted(candidates[t] - away[t])
        awake = [i for i in present if not weights[i].night[t]]
        chosen = awake if problem.rules.avoid_sleep and awake else present
        off.append(frozenset(candidates[t] & away[t]))
        asleep.append(frozenset(present) - frozenset(chosen))
        allowed.append(tuple(chosen))
    return Grid(
        since=since,
        size=size,
        required=tuple(required),
        layer=tuple(layer),
        candidates=tuple(tuple(sorted(c)) for c in candidates),
        off=tuple(off),
        asleep=tuple(asleep),
        allowed=tuple(allowed),
        weights=weights,
    )


def _slots_touched(since: datetime, size: int, start: datetime, end: datetime) -> range:
    if end <= start:
        return range(0)
    first = floor((start - since) / HOUR)
    last = ceil((end - since) / HOUR)
    return range(max(0, first), min(size, last))


@lru_cache(maxsize=64)
def _weights(since: datetime, size: int, time_zone: str, holidays: frozenset[date]) -> Weights:
    zone = ZoneInfo(time_zone)
    night, weekend, holiday, dates = [], [], [], []
    for t in range(size):
        start = since + t * HOUR
        load = load_of([(start, start + HOUR)], time_zone=time_zone, holidays=holidays)
        night.append(round(load.night * QUARTERS))
        weekend.append(round(load.weekend * QUARTERS))
        holiday.append(round(load.holiday * QUARTERS))
        first = start.astimezone(zone).date()
        last = (start + HOUR - timedelta(microseconds=1)).astimezone(zone).date()
        dates.append((first,) if first == last else (first, last))
    return Weights(tuple(night), tuple(weekend), tuple(holiday), tuple(dates))


def runs_of(grid: Grid, person: int) -> list[tuple[int, int]]:
    """Return the maximal stretches [a, b) of slots `person` may take, in order."""
    runs, start = [], None
    for t in range(grid.size + 1):
        free = t < grid.size and person in grid.allowed[t]
        if free and start is None:
            start = t
        elif not free and start is not None:
            runs.append((start, t))
            start = None
    return runs
