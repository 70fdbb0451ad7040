"""The fair rota generator's data: what to cover, by whom, under which rules, and the answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from oncall.load import Load
from oncall.rota import PersonKey, Shift

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Participant:
    """One person who may take shifts, with what limits them and what they already carried."""

    key: PersonKey
    label: str
    time_zone: str
    unavailable: tuple[tuple[datetime, datetime], ...] = ()  # time off: never assigned
    holidays: frozenset[date] = frozenset()  # public holidays (local dates): avoided, balanced
    past: Load = Load()  # on call in the last 90 days
    past_pages: int = 0  # pages received in the last 90 days
    past_sleep_pages: int = 0  # of which in sleep hours


@dataclass(frozen=True)
class Need:
    """[start, end) must be covered by exactly one of `candidates` (e.g. a layer's window)."""

    start: datetime
    end: datetime
    layer: str
    candidates: tuple[PersonKey, ...]


@dataclass(frozen=True)
class Rules:
    """The hard rules of a proposal, and how the solver runs."""

    min_shift_hours: int = 4
    max_shift_hours: int = 12
    min_rest_hours: int = 10  # between the end of one shift and the next start
    max_consecutive_days: int = 5  # days (person's local dates) with any on-call hour
    avoid_sleep: bool = True  # no slot in a person's sleep hours if an awake candidate exists
    past_weight: float = 0.25  # how much of the past imbalance the proposal makes up
    time_limit_seconds: float = 20.0  # the whole proposal: preparing, hint and CP-SAT search
    seed: int = 0  # CP-SAT random seed, so a proposal can be reproduced
    workers: int = 2


@dataclass(frozen=True)
class Problem:
    """Propose who covers the needs over [since, until), whole hours."""

    since: datetime
    until: datetime
    participants: tuple[Participant, ...]
    needs: tuple[Need, ...]
    rules: Rules = Rules()
    baseline: tuple[Shift, ...] = ()  # round-robin of the same layers, for comparison


@dataclass(frozen=True)
class Uncovered:
    """A stretch of required hours nobody could take, and why."""

    start: datetime
    end: datetime
    layer: str
    reason: str


@dataclass(frozen=True)
class PersonReport:
    """One person's load in the proposal, beside round-robin and their past."""

    key: PersonKey
    label: str
    proposed: Load
    baseline: Load
    past: Load
    past_pages: int
    shifts: int


@dataclass(frozen=True)
class Proposal:
    """The shifts proposed, what stays uncovered, and the fairness report."""

    status: str  # "optimal" | "feasible" | "infeasible" (nothing found in time: greedy shifts)
    shifts: tuple[Shift, ...]
    uncovered: tuple[Uncovered, ...]
    people: tuple[PersonReport, ...]
    mean: Load
    spread: Load
    baseline_spread: Load
    rules_held: tuple[str, ...]
    objective: float
    bound: float
    gap: float
    wall_seconds: float
    time_limit_seconds: float


def check_problem(problem: Problem) -> None:
    """Raise ValueError naming the first malformed part of `problem` (impossibility is not one)."""
    for name in ("since", "until"):
        value = getattr(problem, name)
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise ValueError(f"{name} must be a timezone-aware datetime")
        utc = value.astimezone(UTC)
        if utc.minute or utc.second or utc.microsecond:
            raise ValueError(f"{name} must be a whole hour (UTC), got {value.isoformat()}")
    if problem.until <= problem.since:
        raise ValueError("until must be after since")
    rules = problem.rules
    for name in ("min_shift_hours", "max_shift_hours", "max_consecutive_days", "workers"):
        if getattr(rules, name) < 1:
            raise ValueError(f"rules.{name} must be at least 1")
    if rules.min_rest_hours < 0 or rules.time_limit_seconds <= 0 or rules.past_weight < 0:
        raise ValueError("rules.min_rest_hours, time_limit_seconds and past_weight must be >= 0")
    if rules.min_shift_hours > rules.max_shift_hours:
        raise ValueError("rules.min_shift_hours is more than rules.max_shift_hours")
    keys = [participant.key for participant in problem.participants]
    if len(set(keys)) != len(keys):
        raise ValueError("participants must have distinct keys")
    known = set(keys)
    for need in problem.needs:
        if need.start.utcoffset() is None or need.end.utcoffset() is None:
            raise ValueError(f"need of {need.layer!r} has a naive datetime")
        stranger = next((key for key in need.candidates if key not in known), None)
        if stranger is not None:
            raise ValueError(f"need of {need.layer!r} names {stranger!r}, not a participant")
    for participant in problem.participants:
        for start, end in participant.unavailable:
            if start.utcoffset() is None or end.utcoffset() is None:
                raise ValueError(f"time off of {participant.label} has a naive datetime")
