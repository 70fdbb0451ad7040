"""Rotations compiled for fast questions: whose turn, which windows, who wins."""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise

from .instants import _DAWN, _DUSK, _HOUR_US, Piece, _resolve, _time_of_day, _us, _utc
from .model import Layer, Override, PersonKey, RestrictionKind, Rota, TurnUnit, _zone

# --- Evaluation ---------------------------------------------------------------------------------


class _CompiledLayer:
    """A layer ready to evaluate: its zone loaded, its bounds as integers, its handoff taken apart.

    Local dates are proleptic ordinals (date.toordinal), so turn arithmetic is integer arithmetic.
    """

    __slots__ = (
        "participants",
        "zone",
        "handoff",
        "handoff_day",
        "handoff_time",
        "fold",
        "turn_us",
        "turn_days",
        "restrictions",
        "active_from",
        "active_until",
    )

    def __init__(self, layer: Layer):
        self.participants = layer.participants
        self.zone = _zone(layer.time_zone)
        local = layer.handoff.astimezone(self.zone)
        self.handoff = _us(layer.handoff)
        self.handoff_day = local.toordinal()
        self.handoff_time = _time_of_day(local)
        self.fold = local.fold
        unit = TurnUnit(layer.turn_unit)
        self.turn_us = layer.turn_count * _HOUR_US if unit is TurnUnit.HOURS else 0
        self.turn_days = layer.turn_count * (7 if unit is TurnUnit.WEEKS else 1)
        self.restrictions = tuple(
            (
                RestrictionKind(r.kind) is RestrictionKind.WEEKLY,
                r.start_weekday,
                _time_of_day(r.start_time),
                r.duration,
            )
            for r in layer.restrictions
        )
        self.active_from = _DAWN if layer.active_from is None else _us(layer.active_from)
        self.active_until = _DUSK if layer.active_until is None else _us(layer.active_until)

    def person_at(self, at: datetime, t: int) -> PersonKey | None:
        """Return whose turn contains `at` (t in microseconds), or None if inactive there."""
        if not self.active_from <= t < self.active_until:
            return None
        day = at.astimezone(self.zone).toordinal() if self.restrictions or not self.turn_us else 0
        if self.restrictions and not self.is_open(t, day):
            return None
        return self.participants[self.turn_at(t, day) % len(self.participants)]

    def pieces(self, lo: int, hi: int) -> list[Piece]:
        """Return the active pieces of the turns within [lo, hi), in order."""
        lo, hi = max(lo, self.active_from), min(hi, self.active_until)
        if lo >= hi:
            return []
        turns = self.turns(lo, hi)
        return _intersect(turns, self.windows(lo, hi)) if self.restrictions else turns

    def turn_start(self, k: int) -> int:
        """Return the instant turn k begins."""
        if self.turn_us:
            return self.handoff + k * self.turn_us
        local = datetime.fromordinal(self.handoff_day + k * self.turn_days) + self.handoff_time
        return _resolve(local.replace(fold=1) if self.fold else local, self.zone)

    def turn_at(self, t: int, day: int) -> int:
        """Return the index of the turn containing t, whose local date is the ordinal `day`."""
        if self.turn_us:
            return (t - self.handoff) // self.turn_us
        k = (day - self.handoff_day) // self.turn_days
        # The local date finds the turn to within one; the resolved instants settle it.
        while t < self.turn_start(k):
            k -= 1
        while self.turn_start(k + 1) <= t:
            k += 1
        return k

    def turns(self, lo: int, hi: int) -> list[Piece]:
        """Return the turns overlapping [lo, hi), clipped to it."""
        k = self.turn_at(lo, self.local_day(lo))
        opens = self.turn_start(k)
        found = []
        while opens < hi:
            closes = self.turn_start(k + 1)
            start, end = max(opens, lo), min(closes, hi)
            if start < end:
                found.append((start, end, self.participants[k % len(self.participants)]))
            k, opens = k + 1, closes
        return found

    def is_open(self, t: int, day: int) -> bool:
        """Tell whether a restriction window contains t, whose local date is the ordinal `day`."""
        zone = self.zone
        for weekly, weekday, start, duration in self.restrictions:
            # A window containing t opened on t's local date or before it (the previous day or
            # week, when it crosses midnight); the outer neighbours only matter in zones whose
            # offset jumps by most of a day.
            if weekly:
                anchor = day - (day - 1 - weekday) % 7  # ordinal 1 is a Monday
                days = (anchor, anchor - 7, anchor + 7)
            else:
                days = (day, day - 1, day + 1, day - 2)
            for d in days:
                local = datetime.fromordinal(d) + start
                if _resolve(local, zone) <= t < _resolve(local + duration, zone):
                    return True
        return False

    def windows(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """Return the open restriction windows within [lo, hi): clipped, sorted and merged."""
        # Margins wider than is_open's neighbours, as local dates can step back at a fall-back.
        first, last = self.local_day(lo) - 3, self.local_day(hi) + 2
        found = []
        for weekly, weekday, start, duration in self.restrictions:
            if weekly:
                days = range(first - (first - 1 - weekday) % 7 - 7, last + 8, 7)
            else:
                days = range(first, last + 1)
            for d in days:
                local = datetime.fromordinal(d) + start
                opens = max(_resolve(local, self.zone), lo)
                closes = min(_resolve(local + duration, self.zone), hi)
                if opens < closes:
                    found.append((opens, closes))
        found.sort()
        merged: list[tuple[int, int]] = []
        for opens, closes in found:
            if merged and opens <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(closes, merged[-1][1]))
            else:
                merged.append((opens, closes))
        return merged

    def local_day(self, t: int) -> int:
        return _utc(t).astimezone(self.zone).toordinal()


class _CompiledRota:
    """A rota ready to evaluate: layers highest first, overrides flattened for bisection."""

    __slots__ = ("layers_highest_first", "override_starts", "override_ends", "override_people")

    def __init__(self, rota: Rota):
        self.layers_highest_first = tuple(_CompiledLayer(layer) for layer in reversed(rota.layers))
        segments = _flatten_overrides(rota.overrides)
        self.override_starts = [start for start, _, _ in segments]
        self.override_ends = [end for _, end, _ in segments]
        self.override_people = [person for _, _, person in segments]

    def overrides_between(self, lo: int, hi: int) -> list[Piece]:
        """Return the flattened override segments within [lo, hi), clipped to it."""
        found = []
        for i in range(bisect_right(self.override_ends, lo), len(self.override_ends)):
            if self.override_starts[i] >= hi:
                break
            start, end = max(self.override_starts[i], lo), min(self.override_ends[i], hi)
            found.append((start, end, self.override_people[i]))
        return found


def _flatten_overrides(overrides: Sequence[Override]) -> list[Piece]:
    """Return the overrides as sorted, disjoint segments, the latest in the tuple winning."""
    spans = sorted((_us(o.start), _us(o.end), rank, o.person) for rank, o in enumerate(overrides))
    bounds = sorted({instant for start, end, _, _ in spans for instant in (start, end)})
    begun: list[tuple[int, int, PersonKey]] = []  # heap of (-rank, end, person)
    segments: list[Piece] = []
    j = 0
    for start, end in pairwise(bounds):
        while j < len(spans) and spans[j][0] <= start:
            _, span_end, rank, person = spans[j]
            heapq.heappush(begun, (-rank, span_end, person))
            j += 1
        # The top is the latest-ranked override begun; drop it once over (the rest can wait).
        while begun and begun[0][1] <= start:
            heapq.heappop(begun)
        if begun:
            _extend(segments, start, end, begun[0][2])
    return segments


def _flatten(tiers: list[list[Piece]], lo: int, hi: int) -> list[Piece]:
    """Return [lo, hi) as contiguous segments, each taking the first tier that covers it.

    Each tier is sorted, disjoint and clipped to [lo, hi); a segment no tier covers is a gap.
    """
    bounds = {lo, hi}
    for tier in tiers:
        bounds.update(instant for start, end, _ in tier for instant in (start, end))
    cursors = [0] * len(tiers)
    segments: list[Piece] = []
    for start, end in pairwise(sorted(bounds)):
        person = None
        for n, tier in enumerate(tiers):
            i = cursors[n]
            while i < len(tier) and tier[i][1] <= start:
                i += 1
            cursors[n] = i
            # No bound falls inside (start, end), so a piece holding start holds all of it.
            if i < len(tier) and tier[i][0] <= start:
                person = tier[i][2]
                break
        _extend(segments, start, end, person)
    return segments


def _extend(segments: list[Piece], start: int, end: int, person: PersonKey | None) -> None:
    """Append [start, end) to segments, merging it into the last one when it just continues it."""
    if segments and segments[-1][1] == start and segments[-1][2] == person:
        segments[-1] = (segments[-1][0], end, person)
    else:
        segments.append((start, end, person))


def _intersect(turns: list[Piece], windows: list[tuple[int, int]]) -> list[Piece]:
    """Return the parts of `turns` inside `windows` (both sorted and disjoint)."""
    found = []
    i = j = 0
    while i < len(turns) and j < len(windows):
        turn_start, turn_end, person = turns[i]
        opens, closes = windows[j]
        start, end = max(turn_start, opens), min(turn_end, closes)
        if start < end:
            found.append((start, end, person))
        if turn_end <= closes:
            i += 1
        else:
            j += 1
    return found


def compiled(rota: Rota) -> _CompiledRota:
    """Return `rota` compiled, once per instance (kept beside its fields, not among them)."""
    cache = rota.__dict__
    if "_compiled" not in cache:
        cache["_compiled"] = _CompiledRota(rota)
    return cache["_compiled"]
