"""A quick proposal that keeps every hard rule: the solver's starting hint, and its fallback.

Walks the hours in order. Whoever holds the current shift keeps it until the maximum length, the
end of their free stretch, or the consecutive-days limit; then the free candidate with the least
weighted burden so far who may start now (rest, minimum length, consecutive days) takes over,
committing to the minimum length at once. An hour nobody may start is left uncovered.
"""

from __future__ import annotations

from datetime import date, timedelta

from .problem import Rules
from .slots import QUARTERS, Grid, runs_of

CLASSES = ("hours", "night", "weekend", "holiday")
# How much a person's burden in a class counts when the slot to give is of that class: the
# classes are rarer than plain hours, so their imbalance must outweigh the hours'.
CLASS_WEIGHT = {"night": 4, "weekend": 4, "holiday": 4}
HOLIDAY_AVOIDANCE = 10_000  # per quarter hour: give a holiday hour only when nobody else can


def greedy(grid: Grid, rules: Rules, burden: list[dict[str, float]]) -> list[int | None]:
    """Return who takes each slot (None: nobody), keeping every hard rule.

    `burden` is each person's starting load per class (quarter hours): their weighted past.
    """
    people = len(grid.weights)
    run_at = [_run_index(grid, p) for p in range(people)]
    burden = [dict(load) for load in burden]
    holder: list[int | None] = [None] * grid.size
    last_end: list[int | None] = [None] * people
    days: list[set[date]] = [set() for _ in range(people)]
    current, length = None, 0
    target = max(rules.min_shift_hours, rules.max_shift_hours * 2 // 3)
    for t in range(grid.size):
        if holder[t] is not None:  # committed when the shift started
            continue
        if current is not None:
            if _may_extend(grid, rules, current, t, length, days):
                # Hand over early when a long shift can pass on, or when the holder's free
                # stretch ends before someone starting later could do a whole minimum shift.
                end = run_at[current][t][1]
                early = (
                    length >= target
                    or (end - t < rules.min_shift_hours and end < grid.size)
                    or grid.weights[current].holiday[t] > 0
                )
                chosen = None
                if length >= rules.min_shift_hours and early:
                    holiday = grid.weights[current].holiday[t] > 0
                    chosen = _choose(
                        grid, rules, run_at, last_end, days, burden, t, current, holiday
                    )
                if chosen is None:
                    _take(grid, holder, days, burden, current, t)
                    length += 1
                    continue
                last_end[current] = t
                current, length = _start(grid, holder, days, burden, chosen, t)
                continue
            last_end[current] = t
            current = None
        if not grid.required[t]:
            continue
        chosen = _choose(grid, rules, run_at, last_end, days, burden, t)
        if chosen is not None:
            current, length = _start(grid, holder, days, burden, chosen, t)
    return holder


def _start(grid, holder, days, burden, chosen, t):
    person, until = chosen
    for slot in range(t, until):
        _take(grid, holder, days, burden, person, slot)
    return person, until - t


def _run_index(grid: Grid, person: int) -> dict[int, tuple[int, int]]:
    found = {}
    for a, b in runs_of(grid, person):
        for t in range(a, b):
            found[t] = (a, b)
    return found


def _may_extend(grid, rules, person, t, length, days) -> bool:
    if length >= rules.max_shift_hours or person not in grid.allowed[t]:
        return False
    new = set(grid.weights[person].dates[t]) - days[person]
    return not new or _days_ok(days[person] | new, rules.max_consecutive_days)


def _choose(grid, rules, run_at, last_end, days, burden, t, leaving=None, holidays=True):
    """Return (person, committed until) of the best start at `t`, or None.

    `holidays` False: only people for whom the committed hours hold no public holiday.
    """
    best = None
    for person in grid.allowed[t]:
        if person == leaving:
            continue
        end = last_end[person]
        if end is not None and (end == t or t - end < rules.min_rest_hours):
            continue
        until = start_commitment(run_at[person][t], t, rules.min_shift_hours, grid.size)
        if until is None:
            continue
        new = set()
        for slot in range(t, until):
            new.update(grid.weights[person].dates[slot])
        if not _days_ok(days[person] | new, rules.max_consecutive_days):
            continue
        if not holidays and any(grid.weights[person].holiday[t:until]):
            continue
        cost = _cost(grid, burden, person, t, until)
        if best is None or cost < best[0]:
            best = (cost, person, until)
    return None if best is None else best[1:]


def start_commitment(run: tuple[int, int], t: int, minimum: int, size: int) -> int | None:
    """Return the slot a shift starting at `t` must at least run to, or None if it may not start.

    A free stretch shorter than the minimum is taken whole (a need shorter than a shift); else a
    shift runs at least `minimum` hours, or to the horizon's end if that comes first.
    """
    a, b = run
    if b - a < minimum:
        return b if t == a else None
    if t + minimum <= b:
        return t + minimum
    return size if b == size else None


def _cost(grid: Grid, burden, person: int, t: int, until: int) -> float:
    weights, load = grid.weights[person], burden[person]
    cost = load["hours"] + HOLIDAY_AVOIDANCE * sum(weights.holiday[t:until])
    for name, weight in CLASS_WEIGHT.items():
        if getattr(weights, name)[t]:
            cost += weight * load[name]
    return cost


def _take(grid, holder, days, burden, person, slot) -> None:
    weights = grid.weights[person]
    holder[slot] = person
    days[person].update(weights.dates[slot])
    load = burden[person]
    load["hours"] += QUARTERS
    for name in ("night", "weekend", "holiday"):
        load[name] += getattr(weights, name)[slot]


def _days_ok(days: set[date], limit: int) -> bool:
    """Say whether no run of consecutive dates in `days` is longer than `limit`."""
    for day in days:
        if day - timedelta(days=1) in days:
            continue
        run = 1
        while day + timedelta(days=run) in days:
            run += 1
        if run > limit:
            return False
    return True
