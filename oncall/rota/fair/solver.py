"""The CP-SAT model: who takes each hourly slot, under the hard rules, as fairly as possible.

x[p, t] is 1 when person p takes slot t; it exists only where p may (slots.Grid.allowed). A
required slot is taken by exactly one person or left uncovered at a cost higher than anything
else, so the model is always feasible and "impossible" turns into named uncovered hours.

Hard rules, per person, over each stretch [a, b) of slots they may take:
- a shift starting at t runs at least min_shift_hours (to the horizon's end if that comes
  first); a stretch shorter than that is taken whole or not at all;
- any max_shift_hours + 1 consecutive slots hold at most max_shift_hours of theirs;
- a start at t has no shift end in the min_rest_hours before it;
- any max_consecutive_days + 1 consecutive local dates hold at most max_consecutive_days with
  an hour on call.

Objective (integers, quarter hours): for every class (hours, night, weekend, holiday) and every
group of people who can share work, sum over people of |n * total_p - sum_q total_q| plus
n * (max - min), weighted (night and holiday 3, weekend 2, hours 1); total_p is the proposal plus
past_weight * the past (each past page adds half an hour, each sleep-hours page two night hours).
Plus a small cost per shift start, a heavy one per holiday hour given, and the uncovered cost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from ortools.sat.python import cp_model

from .problem import Problem
from .slots import QUARTERS, Grid, runs_of

CLASS_WEIGHTS = {"hours": 1, "night": 3, "weekend": 2, "holiday": 3}
PAGE_HOURS = 0.5  # every past page adds this to the past hours
SLEEP_PAGE_NIGHT_HOURS = 2.0  # every past sleep-hours page adds this to the past night hours
HANDOFF_COST = QUARTERS  # per shift start, times the group size
HOLIDAY_COST = 100  # per quarter hour on the person's own holiday, times the group size: more
# than moving that hour to anyone else could gain in fairness, so only the rules force it
MIN_SEARCH_SHARE = 0.1  # of the time limit: the search gets it even when preparing used more
UNCOVERED_COST = 10_000  # per uncovered slot, times the largest group size times 4


@dataclass(frozen=True)
class Solution:
    status: str
    holder: list[int | None]
    objective: float
    bound: float


def solve(problem: Problem, grid: Grid, groups: list[list[int]], hint, seconds: float):
    """Return the best assignment CP-SAT finds in `seconds` (status "infeasible": none).

    Building the model and completing the hint come out of `seconds` too.
    """
    began = time.perf_counter()
    rules = problem.rules
    model = cp_model.CpModel()
    people = len(problem.participants)
    size_of = {p: len(group) for group in groups for p in group}
    largest = max(size_of.values(), default=1)
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    costs: list = []
    hints: list = []  # (variable, value) of the hint, every variable derived from its slots
    for p in range(people):
        runs = runs_of(grid, p)
        for a, b in runs:
            for t in range(a, b):
                x[p, t] = model.new_bool_var(f"x{p}_{t}")
                hints.append((x[p, t], int(hint[t] == p)))
        _shift_rules(model, grid, rules, x, p, runs, size_of.get(p, 1), costs, (hint, hints))
        _day_rules(model, grid, rules, x, p, runs, (hint, hints))
    uncovered = {}
    for t in range(grid.size):
        takers = [x[p, t] for p in grid.allowed[t]]
        if takers:
            uncovered[t] = model.new_bool_var(f"u{t}")
            hints.append((uncovered[t], int(hint[t] is None)))
            model.add(sum(takers) + uncovered[t] == 1)
    unit = UNCOVERED_COST * largest * QUARTERS
    costs += [unit * u for u in uncovered.values()]
    for (p, t), var in x.items():
        given = grid.weights[p].holiday[t]
        if given:
            costs.append(HOLIDAY_COST * size_of.get(p, 1) * given * var)
    for group in groups:
        if len(group) > 1:
            costs += _fairness(model, problem, grid, x, group, (hint, hints))
    model.minimize(sum(costs))
    model.proto.solution_hint.vars.extend(var.index for var, _ in hints)
    model.proto.solution_hint.values.extend(value for _, value in hints)
    solver = cp_model.CpSolver()
    left = seconds - (time.perf_counter() - began)
    solver.parameters.max_time_in_seconds = max(MIN_SEARCH_SHARE * rules.time_limit_seconds, left)
    solver.parameters.num_workers = rules.workers
    solver.parameters.random_seed = rules.seed
    # Probing a model this size takes seconds on a small machine and finds little: spend the
    # time limit on search instead.
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.max_presolve_iterations = 1
    solver.parameters.symmetry_level = 0
    code = solver.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Solution("infeasible", list(hint), 0.0, 0.0)
    holder: list[int | None] = [None] * grid.size
    for (p, t), var in x.items():
        if solver.boolean_value(var):
            holder[t] = p
    status = "optimal" if code == cp_model.OPTIMAL else "feasible"
    # Every cost term is non-negative, so 0 bounds the objective too; CP-SAT's own bound stays
    # far below it on a big model until its linear relaxation is solved.
    bound = max(0.0, solver.best_objective_bound)
    return Solution(status, holder, solver.objective_value, bound)


def _shift_rules(model, grid: Grid, rules, x, p: int, runs, weight: int, costs: list, hinting):
    """Add person p's shift length and rest rules, and the cost of their shift starts.

    Rest needs no end variables: a shift may start at t only if p holds none of the
    min_rest_hours slots before t (the one before t included, so the start is a real one).
    """
    hint, hints = hinting
    minimum, maximum, rest = rules.min_shift_hours, rules.max_shift_hours, rules.min_rest_hours
    start_at = {}
    for a, b in runs:
        if b - a < minimum:  # a stretch shorter than a shift: whole or nothing
            for t in range(a + 1, b):
                model.add(x[p, t] == x[p, a])
            start_at[a] = x[p, a]
            continue
        for t in range(a, b):
            if t == a:
                start = x[p, a]
            else:
                start = model.new_bool_var(f"s{p}_{t}")
                model.add(start >= x[p, t] - x[p, t - 1])
                hints.append((start, int(hint[t] == p != hint[t - 1])))
            start_at[t] = start
            if t + minimum <= b:
                last = t + minimum
            elif b == grid.size:
                last = b
            else:
                model.add(start == 0)
                continue
            if last > t + 1:
                model.add_bool_and([x[p, k] for k in range(t + 1, last)]).only_enforce_if(start)
        for t in range(a, b - maximum):
            window = [x[p, k] for k in range(t, t + maximum + 1)]
            model.add(cp_model.LinearExpr.sum(window) <= maximum)
    free = {k: x[p, k].Not() for a, b in runs for k in range(a, b)}
    for t, start in start_at.items():
        before = [free[k] for k in range(max(0, t - rest), t) if k in free]
        if before:
            model.add_bool_and(before).only_enforce_if(start)
    costs += [HANDOFF_COST * weight * start for start in start_at.values()]


def _day_rules(model, grid: Grid, rules, x, p: int, runs, hinting) -> None:
    """Add person p's limit on consecutive local dates with any hour on call."""
    hint, hints = hinting
    held = {day for t, q in enumerate(hint) if q == p for day in grid.weights[p].dates[t]}
    on_day = {}
    for a, b in runs:
        for t in range(a, b):
            for day in grid.weights[p].dates[t]:
                if day not in on_day:
                    on_day[day] = model.new_bool_var(f"d{p}_{day.isoformat()}")
                    hints.append((on_day[day], int(day in held)))
                model.add_implication(x[p, t], on_day[day])
    if not on_day:
        return
    limit = rules.max_consecutive_days
    first, last = min(on_day), max(on_day)
    span = (last - first).days + 1
    if span <= limit:
        return
    for offset in range(span - limit):
        window = [first + timedelta(days=offset + k) for k in range(limit + 1)]
        present = [on_day[day] for day in window if day in on_day]
        if len(present) > limit:
            model.add(sum(present) <= limit)


def _fairness(model, problem: Problem, grid: Grid, x, group: list[int], hinting) -> list:
    """Return the weighted unfairness of `group`, per class, as cost terms."""
    hint, hints = hinting
    n = len(group)
    rules = problem.rules
    terms = []
    for name, weight in CLASS_WEIGHTS.items():
        totals, bounds, values = [], [], []
        for p in group:
            past = past_of(problem.participants[p])[name]
            constant = round(QUARTERS * rules.past_weight * past)
            present = [(t, c) for t, c in _coefficients(grid, p, name) if (p, t) in x]
            top = constant + sum(c for _, c in present)
            bounds.append((min(constant, 0), max(top, 0)))
            total = model.new_int_var(*bounds[-1], f"{name}{p}")
            model.add(
                total
                == cp_model.LinearExpr.weighted_sum(
                    [x[p, t] for t, _ in present], [c for _, c in present]
                )
                + constant
            )
            totals.append(total)
            values.append(constant + sum(c for t, c in present if hint[t] == p))
            hints.append((total, values[-1]))
        low = min(lo for lo, _ in bounds)
        high = max(hi for _, hi in bounds)
        everyone = model.new_int_var(n * low, n * high, f"sum{name}{group[0]}")
        model.add(everyone == sum(totals))
        hints.append((everyone, sum(values)))
        for total, value in zip(totals, values, strict=True):
            deviation = model.new_int_var(0, n * (high - low), f"dev{total.name}")
            # Two inequalities rather than an equality: the minimisation makes them tight.
            model.add(deviation >= n * total - everyone)
            model.add(deviation >= everyone - n * total)
            hints.append((deviation, abs(n * value - sum(values))))
            terms.append(weight * deviation)
        most = model.new_int_var(low, high, f"max{name}{group[0]}")
        least = model.new_int_var(low, high, f"min{name}{group[0]}")
        for total in totals:
            model.add(most >= total)
            model.add(least <= total)
        spread = model.new_int_var(0, high - low, f"spread{name}{group[0]}")
        model.add(spread >= most - least)
        hints += [(most, max(values)), (least, min(values)), (spread, max(values) - min(values))]
        terms.append(weight * n * spread)
    return terms


def _coefficients(grid: Grid, p: int, name: str) -> list[tuple[int, int]]:
    if name == "hours":
        return [(t, QUARTERS) for t in range(grid.size)]
    values = getattr(grid.weights[p], name)
    return [(t, value) for t, value in enumerate(values) if value]


def past_of(participant) -> dict[str, float]:
    """Return the participant's past burden per class, in hours, pages included."""
    past = participant.past
    return {
        "hours": past.hours + PAGE_HOURS * participant.past_pages,
        "night": past.night + SLEEP_PAGE_NIGHT_HOURS * participant.past_sleep_pages,
        "weekend": past.weekend,
        "holiday": past.holiday,
    }
