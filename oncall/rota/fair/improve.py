"""Local search over whole shifts: hand a shift to someone else, or swap two, while it is fairer.

Runs between the greedy construction and CP-SAT, so the solver starts from a fair assignment and
polishes it. Every move keeps every hard rule: the new holder may take each hour of the shift
(slots.Grid.allowed), starts it as the minimum length allows, keeps the minimum rest on both
sides and the consecutive-days limit. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import date, timedelta

from .greedy import start_commitment
from .problem import Rules
from .slots import Grid, runs_of

CLASSES = ("hours", "night", "weekend", "holiday")
ONE_DAY = timedelta(days=1)
ROUNDS = 40


class Fairness:
    """The solver's fairness cost of totals per person and class (see solver.py)."""

    def __init__(self, groups, weights: dict[str, int], holiday_cost: int):
        self.groups = [group for group in groups if len(group) > 1]
        self.group_of = {p: g for g, group in enumerate(self.groups) for p in group}
        self.weights = weights
        self.holiday_cost = holiday_cost  # per quarter hour, times the group's size

    def holiday_of(self, p: int) -> int:
        return self.holiday_cost * len(self.groups[self.group_of[p]])

    def of_group(self, totals, group: list[int]) -> float:
        n = len(group)
        cost = 0.0
        for name, weight in self.weights.items():
            values = [totals[p][name] for p in group]
            everyone = sum(values)
            cost += weight * (sum(abs(n * v - everyone) for v in values))
            cost += weight * n * (max(values) - min(values))
        return cost


def improve(grid: Grid, rules: Rules, holder, totals, fairness: Fairness, seed: int, until: float):
    """Return `holder` after fairer shift moves; `totals` (quarter hours, past included) updated.

    Stops when a round over every shift finds no move, after ROUNDS rounds, or once the
    perf_counter passes `until` (a share of the time limit).
    """
    shifts = _shifts(holder)
    people = len(grid.weights)
    runs = [{t: run for run in runs_of(grid, p) for t in range(*run)} for p in range(people)]
    generator = random.Random(seed)
    state = _State(grid, rules, shifts, runs, totals)
    for _ in range(ROUNDS):
        order = list(range(len(shifts)))
        generator.shuffle(order)
        improved = False
        for k in order:
            improved |= _best_move(state, fairness, k, generator)
            if time.perf_counter() > until:
                break
        if not improved or time.perf_counter() > until:
            break
    result = [None] * grid.size
    for p, a, b in state.shifts:
        for t in range(a, b):
            result[t] = p
    return result


class _State:
    def __init__(self, grid, rules, shifts, runs, totals):
        self.grid, self.rules, self.shifts = grid, rules, shifts
        self.runs, self.totals = runs, totals
        self.known: dict[tuple[int, int, int], frozenset[date]] = {}
        self.mine: list[list[int]] = [[] for _ in grid.weights]
        self.days = [Counter() for _ in grid.weights]
        for k, (p, a, b) in enumerate(shifts):
            self.mine[p].append(k)
            self.days[p].update(self.dates(p, a, b))

    def dates(self, p: int, a: int, b: int) -> frozenset[date]:
        """Return the local dates p would be on call on over [a, b)."""
        found = self.known.get((p, a, b))
        if found is None:
            weights = self.grid.weights[p]
            found = frozenset(day for t in range(a, b) for day in weights.dates[t])
            self.known[p, a, b] = found
        return found


def _best_move(state: _State, fairness: Fairness, k: int, generator) -> bool:
    """Make the best fairer move of shift k (hand it over, or swap it), if there is one."""
    p, a, b = state.shifts[k]
    group = fairness.group_of.get(p)
    if group is None:
        return False
    members = fairness.groups[group]
    fair = fairness.of_group(state.totals, members)
    best, chosen = 0.0, None
    for q in state.grid.allowed[a]:
        if q == p or fairness.group_of.get(q) != group or not _fits(state, q, a, b, skip=()):
            continue
        _move(state, k, p, q)
        gain = fair - fairness.of_group(state.totals, members)
        _move(state, k, q, p)
        gain += _holiday(state, fairness, p, a, b) - _holiday(state, fairness, q, a, b)
        if gain > best:
            best, chosen = gain, (q, None)
    # Swaps with a few sampled shifts, for when handing over alone unbalances the hours.
    others = [m for m in range(len(state.shifts)) if m != k]
    for m in generator.sample(others, min(12, len(others))):
        q, c, d = state.shifts[m]
        if q == p or fairness.group_of.get(q) != group or not _swappable(state, k, m):
            continue
        _swap(state, k, m)
        gain = fair - fairness.of_group(state.totals, members)
        _swap(state, k, m)
        gain += _holiday(state, fairness, p, a, b) + _holiday(state, fairness, q, c, d)
        gain -= _holiday(state, fairness, q, a, b) + _holiday(state, fairness, p, c, d)
        if gain > best:
            best, chosen = gain, (None, m)
    if chosen is None:
        return False
    q, m = chosen
    if m is None:
        _move(state, k, p, q)
    else:
        _swap(state, k, m)
    return True


def _holiday(state, fairness, p, a, b) -> float:
    return fairness.holiday_of(p) * sum(state.grid.weights[p].holiday[a:b])


def _fits(state: _State, q: int, a: int, b: int, skip) -> bool:
    """Say whether q may take [a, b) beside their other shifts (those in `skip` set aside)."""
    grid, rules = state.grid, state.rules
    run = state.runs[q].get(a)
    if run is None or run[1] < b:
        return False
    need = start_commitment(run, a, rules.min_shift_hours, grid.size)
    if need is None or need > b:
        return False
    gap = max(rules.min_rest_hours, 1)
    for other in state.mine[q]:
        if other in skip:
            continue
        _, c, d = state.shifts[other]
        if not (d + gap <= a or b + gap <= c):
            return False
    added = state.dates(q, a, b)
    removed = Counter()
    for other in skip:
        owner, c, d = state.shifts[other]
        if owner == q:
            removed.update(state.dates(q, c, d))
    held = state.days[q]

    def on(day) -> bool:
        return day in added or held[day] - removed[day] > 0

    limit = rules.max_consecutive_days
    for day in added:
        run, before, after = 1, day - ONE_DAY, day + ONE_DAY
        while on(before) and run <= limit:
            run, before = run + 1, before - ONE_DAY
        while on(after) and run <= limit:
            run, after = run + 1, after + ONE_DAY
        if run > limit:
            return False
    return True


def _swappable(state: _State, k: int, m: int) -> bool:
    p, a, b = state.shifts[k]
    q, c, d = state.shifts[m]
    return _fits(state, q, a, b, skip=(m,)) and _fits(state, p, c, d, skip=(k,))


def _move(state: _State, k: int, p: int, q: int) -> None:
    _, a, b = state.shifts[k]
    _load(state, p, a, b, -1)
    _load(state, q, a, b, +1)
    state.mine[p].remove(k)
    state.mine[q].append(k)
    state.days[p] -= Counter(state.dates(p, a, b))
    state.days[q] += Counter(state.dates(q, a, b))
    state.shifts[k] = (q, a, b)


def _swap(state: _State, k: int, m: int) -> None:
    p, _, _ = state.shifts[k]
    q, _, _ = state.shifts[m]
    _move(state, k, p, q)
    _move(state, m, q, p)


def _load(state: _State, p: int, a: int, b: int, sign: int) -> None:
    weights, totals = state.grid.weights[p], state.totals[p]
    totals["hours"] += sign * 4 * (b - a)
    for name in ("night", "weekend", "holiday"):
        totals[name] += sign * sum(getattr(weights, name)[a:b])


def _shifts(holder) -> list[tuple[int, int, int]]:
    shifts, t = [], 0
    while t < len(holder):
        if holder[t] is None:
            t += 1
            continue
        start = t
        while t < len(holder) and holder[t] == holder[start]:
            t += 1
        shifts.append((holder[start], start, t))
    return shifts
