"""The escalation rules: a policy snapshot and a position in, the step to fire and what comes next.

No Django here, and no clock: every function takes the instant it works from. Datetimes in must
be timezone-aware (a naive one is an EscalationError, a ValueError); instants out are in UTC.

The model is PagerDuty's: each step pages its targets, then waits its `escalate_after` before the
next step fires; after the last step the policy starts again from step 0, `repeat` more times.
Delays are elapsed time, not wall-clock time, so a DST change never stretches or skips a wait.

A policy is copied onto an incident as a JSON-safe snapshot when the incident triggers, so later
edits of the policy do not change a running escalation.
"""

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

SNAPSHOT_VERSION = 1
MINIMUM_DELAY = timedelta(minutes=1)


class EscalationError(ValueError):
    """A policy, snapshot, position or instant that the escalation rules cannot work with."""


class TargetKind(enum.StrEnum):
    PERSON = "person"
    SCHEDULE = "schedule"
    TEAM_ALL = "team_all"
    TEAM_ROUND_ROBIN = "team_round_robin"


@dataclass(frozen=True)
class Target:
    kind: str
    id: int

    def __post_init__(self):
        try:
            kind = TargetKind(self.kind)
        except ValueError:
            known = ", ".join(kind.value for kind in TargetKind)
            raise EscalationError(
                f"unknown target kind {self.kind!r}; expected one of {known}"
            ) from None
        object.__setattr__(self, "kind", kind)
        _check_int(self.id, f"{kind} target id")


@dataclass(frozen=True)
class Step:
    """Page `targets`, then wait `escalate_after` before the next step (or a repeat)."""

    escalate_after: timedelta
    targets: tuple[Target, ...]

    def __post_init__(self):
        delay = self.escalate_after
        if not isinstance(delay, timedelta):
            raise EscalationError(f"escalate_after must be a timedelta, got {delay!r}")
        if delay < timedelta(0) or delay % MINIMUM_DELAY:
            raise EscalationError(
                f"escalate_after must be a whole, non-negative number of minutes, got {delay}"
            )
        targets = _as_tuple(self.targets, "step targets")
        if not targets:
            raise EscalationError("a step has no targets: each step must page someone")
        for target in targets:
            if not isinstance(target, Target):
                raise EscalationError(f"step targets must be Target objects, got {target!r}")
        object.__setattr__(self, "targets", targets)


@dataclass(frozen=True)
class Policy:
    """Run `steps` in order, then run them again `repeat` more times (repeat=2: 3 passes)."""

    steps: tuple[Step, ...]
    repeat: int = 0

    def __post_init__(self):
        steps = _as_tuple(self.steps, "policy steps")
        if not steps:
            raise EscalationError("the policy has no steps: it needs at least one")
        for step in steps:
            if not isinstance(step, Step):
                raise EscalationError(f"policy steps must be Step objects, got {step!r}")
        _check_int(self.repeat, "repeat")
        if self.repeat < 0:
            raise EscalationError(f"repeat must be 0 or more, got {self.repeat}")
        if len(steps) > 1 or self.repeat:
            for number, step in enumerate(steps, start=1):
                if step.escalate_after < MINIMUM_DELAY:
                    raise EscalationError(
                        f"step {number} escalates after {step.escalate_after}; a policy with "
                        "more than one step or with repeats needs at least 1 minute per step"
                    )
        object.__setattr__(self, "steps", steps)


@dataclass(frozen=True)
class Position:
    """Where an escalation stands.

    `loop` numbers pages and only grows for an incident, so page keys stay unique across
    re-triggers; `pass_` counts passes through the policy in the current round (0..repeat).
    """

    step: int
    loop: int
    pass_: int


@dataclass(frozen=True)
class Advance:
    """The step to fire now, and where and when the escalation goes next (None: exhausted)."""

    fire: Step
    position: Position
    next_position: Position | None
    next_due: datetime | None


class RuleTiming(NamedTuple):
    rule_id: int
    due: datetime


def escalation_start(loop: int) -> Position:
    """Return the position where an incident (re)triggered at page loop `loop` starts."""
    _check_int(loop, "loop")
    if loop < 0:
        raise EscalationError(f"loop must be 0 or more, got {loop}")
    return Position(step=0, loop=loop, pass_=0)


def escalation_advance(policy: Policy, position: Position, fired_at: datetime) -> Advance:
    """Fire the step at `position` at `fired_at`; return it with the next position and due time."""
    _check_position(policy, position)
    _check_aware(fired_at, "fired_at")
    step = policy.steps[position.step]
    if position.step + 1 < len(policy.steps):
        following = Position(position.step + 1, position.loop, position.pass_)
    elif position.pass_ < policy.repeat:
        following = Position(0, position.loop + 1, position.pass_ + 1)
    else:
        return Advance(step, position, None, None)
    return Advance(step, position, following, fired_at.astimezone(UTC) + step.escalate_after)


def round_robin_pick(member_ids: Sequence[int], incident_number: int, loop: int) -> int:
    """Return the team member a round-robin target pages for this incident and loop."""
    members = sorted(set(member_ids))
    if not members:
        raise EscalationError("round-robin target names a team with no members")
    _check_int(incident_number, "incident_number")
    _check_int(loop, "loop")
    return members[(incident_number + loop) % len(members)]


def rule_due_times(rules: Sequence[tuple[int, int]], fired_at: datetime) -> list[RuleTiming]:
    """Return when each (rule_id, delay_minutes) notification rule is due, earliest first."""
    _check_aware(fired_at, "fired_at")
    start = fired_at.astimezone(UTC)
    timings = []
    for rule_id, delay_minutes in rules:
        _check_int(delay_minutes, f"rule {rule_id} delay_minutes")
        if delay_minutes < 0:
            raise EscalationError(f"rule {rule_id} delay_minutes must be 0 or more")
        timings.append(RuleTiming(rule_id, start + timedelta(minutes=delay_minutes)))
    return sorted(timings, key=lambda timing: (timing.due, timing.rule_id))


# --- Snapshots: the JSON-safe copy of a policy kept on an incident ------------------------------


def policy_to_snapshot(policy: Policy) -> dict[str, Any]:
    """Return `policy` as a JSON-safe dict, delays in whole minutes."""
    return {
        "version": SNAPSHOT_VERSION,
        "repeat": policy.repeat,
        "steps": [
            {
                "escalate_after_minutes": step.escalate_after // MINIMUM_DELAY,
                "targets": [{"kind": str(target.kind), "id": target.id} for target in step.targets],
            }
            for step in policy.steps
        ],
    }


def policy_from_snapshot(data: Mapping[str, Any]) -> Policy:
    """Return the policy that `policy_to_snapshot` turned into `data`."""
    try:
        if data["version"] != SNAPSHOT_VERSION:
            raise EscalationError(f"unsupported policy snapshot version {data['version']!r}")
        steps = tuple(_step_from_snapshot(step) for step in data["steps"])
        return Policy(steps=steps, repeat=data["repeat"])
    except (KeyError, TypeError) as error:
        raise EscalationError(f"malformed policy snapshot: {error!r}") from error


def _step_from_snapshot(data: Mapping[str, Any]) -> Step:
    minutes = data["escalate_after_minutes"]
    # A float would load, but then dump back as an int: keep the round trip exact.
    _check_int(minutes, "escalate_after_minutes")
    targets = tuple(Target(kind=target["kind"], id=target["id"]) for target in data["targets"])
    return Step(escalate_after=timedelta(minutes=minutes), targets=targets)


# --- Checks -------------------------------------------------------------------------------------


def _check_position(policy: Policy, position: Position) -> None:
    if not isinstance(position, Position):
        raise EscalationError(f"position must be a Position, got {position!r}")
    for name in ("step", "loop", "pass_"):
        _check_int(getattr(position, name), f"position {name}")
    if not 0 <= position.step < len(policy.steps):
        raise EscalationError(
            f"position step {position.step} is outside the policy's {len(policy.steps)} steps"
        )
    if not 0 <= position.pass_ <= policy.repeat:
        raise EscalationError(
            f"position pass {position.pass_} is outside the policy's passes 0..{policy.repeat}"
        )
    if position.loop < 0:
        raise EscalationError(f"position loop must be 0 or more, got {position.loop}")


def _check_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise EscalationError(f"{name} must be a datetime, got {value!r}")
    if value.utcoffset() is None:
        raise EscalationError(f"{name} is a naive datetime ({value.isoformat()}); give it a zone")


def _check_int(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise EscalationError(f"{name} must be a whole number, got {value!r}")


def _as_tuple(values: object, name: str) -> tuple:
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Sequence):
        raise EscalationError(f"{name} must be a sequence, got {values!r}")
    return tuple(values)
