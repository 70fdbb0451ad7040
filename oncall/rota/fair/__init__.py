"""The fair rota generator: who should be on call over the next weeks, fairly, by construction.

Pure: no Django, no clock (only the running time is measured, for the time limit). The answer
for a Problem is a Proposal: shifts in whole hours, the hours nobody could take and why, and a
fairness report beside plain round-robin of the same layers. Impossibility never raises; only
malformed input does (ValueError).

How (each step keeps every hard rule, so each step's answer is a valid proposal):

1. slots.py cuts the horizon into hours: who may take each (the needs' candidates, minus time
   off, minus sleepers when someone is awake) and what each hour weighs for each person (night,
   weekend, holiday, on their own wall clock, in quarter hours).
2. greedy.py walks the hours and hands shifts to the least-burdened person who may start.
3. improve.py moves or swaps whole shifts while the fairness cost falls (up to 30% of the time
   limit; deterministic for a seed).
4. solver.py builds the CP-SAT model, hints it with that answer in full, and searches for the
   rest of the time limit: hourly x[person, hour], exactly one per required hour or a named
   uncovered hour at a cost above everything else, shift length, rest and consecutive days as
   hard constraints, the fairness of every class among people who can share work as the cost.
5. report.py reads the answer back: shifts, uncovered stretches with reasons, loads against
   round-robin, and one sentence per hard rule with the proposal's own figures.
"""

from __future__ import annotations

import time

from oncall.load import Load
from oncall.rota import Layer, PersonKey, Shift

from .greedy import greedy
from .improve import Fairness, improve
from .layers import baseline_shifts, loads_of, needs_always, needs_from_layers
from .problem import (
    Need,
    Participant,
    PersonReport,
    Problem,
    Proposal,
    Rules,
    Uncovered,
    check_problem,
)
from .report import mean_of, people_of, rules_held, shifts_of, spread_of, uncovered_of
from .slots import QUARTERS, grid_of
from .solver import CLASS_WEIGHTS, HOLIDAY_COST, past_of, solve

IMPROVE_SHARE = 0.3  # of the time limit, at most, for the local search before CP-SAT

__all__ = [
    "Layer",
    "Load",
    "Need",
    "Participant",
    "PersonKey",
    "PersonReport",
    "Problem",
    "Proposal",
    "Rules",
    "Shift",
    "Uncovered",
    "baseline_shifts",
    "loads_of",
    "needs_always",
    "needs_from_layers",
    "propose",
]


def propose(problem: Problem) -> Proposal:
    """Return the fairest proposal CP-SAT finds for `problem` within its time limit."""
    check_problem(problem)
    began = time.perf_counter()
    grid = grid_of(problem)
    groups = _groups(problem)
    burden = [_burden(participant, problem) for participant in problem.participants]
    hint = greedy(grid, problem.rules, burden)
    fairness = Fairness(groups, CLASS_WEIGHTS, HOLIDAY_COST)
    totals = _totals(grid, hint, burden)
    until = began + IMPROVE_SHARE * problem.rules.time_limit_seconds
    hint = improve(grid, problem.rules, hint, totals, fairness, problem.rules.seed, until)
    left = problem.rules.time_limit_seconds - (time.perf_counter() - began)
    solution = solve(problem, grid, groups, hint, left)
    shifts = shifts_of(grid, solution.holder, problem)
    people = people_of(problem, shifts)
    rules = problem.rules
    rules_text = (
        f"the rules (rest {rules.min_rest_hours} h, shifts {rules.min_shift_hours}-"
        f"{rules.max_shift_hours} h, at most {rules.max_consecutive_days} consecutive days)"
    )
    objective, bound = solution.objective, solution.bound
    gap = 1.0 if solution.status == "infeasible" else (objective - bound) / max(1, abs(objective))
    return Proposal(
        status=solution.status,
        shifts=shifts,
        uncovered=uncovered_of(grid, solution.holder, problem, rules_text),
        people=people,
        mean=mean_of([person.proposed for person in people]),
        spread=spread_of([person.proposed for person in people]),
        baseline_spread=spread_of([person.baseline for person in people]),
        rules_held=rules_held(problem, grid, solution.holder, shifts),
        objective=objective,
        bound=bound,
        gap=gap,
        wall_seconds=time.perf_counter() - began,
        time_limit_seconds=rules.time_limit_seconds,
    )


def _groups(problem: Problem) -> list[list[int]]:
    """Return the people who can share work (linked through common needs), by index."""
    index = {participant.key: i for i, participant in enumerate(problem.participants)}
    parent = list(range(len(problem.participants)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for need in problem.needs:
        members = [index[key] for key in need.candidates]
        for other in members[1:]:
            parent[root(other)] = root(members[0])
    groups: dict[int, list[int]] = {}
    for i in range(len(parent)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _burden(participant: Participant, problem: Problem) -> dict[str, float]:
    """Return the weighted past per class, in quarter hours, rounded as the solver rounds it."""
    weight = problem.rules.past_weight * QUARTERS
    return {name: round(weight * value) for name, value in past_of(participant).items()}


def _totals(grid, holder, burden) -> list[dict[str, float]]:
    totals = [dict(load) for load in burden]
    for t, p in enumerate(holder):
        if p is not None:
            weights = grid.weights[p]
            totals[p]["hours"] += QUARTERS
            for name in ("night", "weekend", "holiday"):
                totals[p][name] += getattr(weights, name)[t]
    return totals
