"""Writes of escalation policies: a policy with its steps and their targets, saved whole or not
at all. Every change moves the policy's version, so the next incident is paged per the policy
as it now stands (the engine reuses a snapshot only while the version stands)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from incidents import escalation
from incidents.models import EscalationPolicy, EscalationStep, EscalationTarget
from oncall.audit import audit_bulk_created
from oncall.models import Membership, Person, Schedule, Team

MAX_STEPS = 20
MAX_TARGETS = 20
MAX_REPEAT = 10
MAX_ESCALATE_AFTER_MINUTES = 24 * 60
POLICY_FIELDS = ("name", "repeat", "description")
Kind = EscalationTarget.Kind


@dataclass(frozen=True)
class TargetSpec:
    """Whom a step pages: a person, a schedule's on-call, or the policy's team (`team` may be
    left out for the team kinds: the policy's own)."""

    kind: str
    person: Person | None = None
    schedule: Schedule | None = None
    team: Team | None = None


@dataclass(frozen=True)
class StepSpec:
    escalate_after_minutes: int
    targets: Sequence[TargetSpec]


def _target_problem(team: Team, target: TargetSpec, members: set[int]) -> tuple[str, str] | None:
    """Return (field, what is wrong) with `target` in a policy of `team`, or None."""
    if target.kind not in Kind.values:
        return "kind", f"Unknown kind {target.kind!r}; use one of {', '.join(Kind.values)}."
    wanted = {Kind.PERSON: "person", Kind.SCHEDULE: "schedule"}.get(target.kind, "team")
    given = {name for name in ("person", "schedule", "team") if getattr(target, name) is not None}
    if given - {wanted}:
        return "kind", f"A {target.kind} target names a {wanted}, and nothing else."
    if target.kind == Kind.PERSON:
        if target.person is None:
            return "person", "Name the person to page."
        if target.person.pk not in members:
            return "person", f"{target.person.display_name} is not a member of the team."
    elif target.kind == Kind.SCHEDULE:
        if target.schedule is None:
            return "schedule", "Name the schedule whose on-call is paged."
        if target.schedule.team_id != team.pk:
            return "schedule", "There is no such schedule in the team."
    elif target.team is not None and target.team.pk != team.pk:
        return "team", "A policy pages its own team: give the policy's team, or leave team out."
    return None


def _step_problems(team: Team, steps: Sequence[StepSpec], repeat: int) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if not steps:
        return {"steps": ["A policy needs at least one step."]}
    if len(steps) > MAX_STEPS:
        return {"steps": [f"A policy has at most {MAX_STEPS} steps."]}
    people = {t.person.pk for step in steps for t in step.targets if t.person is not None}
    members = set(
        Membership.objects.filter(team=team, person_id__in=people).values_list(
            "person_id", flat=True
        )
    )
    waits = len(steps) > 1 or repeat > 0  # the engine's rule: then every step waits a minute
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        minutes = step.escalate_after_minutes
        if not 0 <= minutes <= MAX_ESCALATE_AFTER_MINUTES:
            problems[f"{where}.escalate_after_minutes"] = [
                f"Give 0 to {MAX_ESCALATE_AFTER_MINUTES} minutes."
            ]
        elif minutes < 1 and waits:
            problems[f"{where}.escalate_after_minutes"] = [
                "A policy with more than one step, or with repeats, waits at least 1 minute "
                "after each step."
            ]
        if not step.targets:
            problems[f"{where}.targets"] = ["A step needs at least one target."]
        elif len(step.targets) > MAX_TARGETS:
            problems[f"{where}.targets"] = [f"A step has at most {MAX_TARGETS} targets."]
        for number, target in enumerate(step.targets):
            problem = _target_problem(team, target, members)
            if problem is not None:
                field, message = problem
                problems[f"{where}.targets[{number}].{field}"] = [message]
    return problems


def _policy_problems(policy: EscalationPolicy) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if not 0 <= policy.repeat <= MAX_REPEAT:
        problems["repeat"] = [f"Repeat the steps 0 to {MAX_REPEAT} more times."]
    if EscalationPolicy.objects.filter(name=policy.name).exclude(pk=policy.pk).exists():
        problems["name"] = [
            f"An escalation policy named {policy.name} exists already; choose another name."
        ]
    try:
        policy.full_clean(validate_unique=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            problems.setdefault(field, messages)
    return problems


def _engine_check(steps: Sequence[StepSpec], repeat: int) -> None:
    """Refuse what the escalation rules could not run (checked above in a person's words; this
    is the last word, so no policy the engine refuses is ever stored)."""
    try:
        escalation.Policy(
            steps=tuple(
                escalation.Step(
                    escalate_after=timedelta(minutes=step.escalate_after_minutes),
                    targets=tuple(
                        escalation.Target(kind=t.kind, id=1) for t in step.targets
                    ),  # only the shape is checked here; the ids were checked above
                )
                for step in steps
            ),
            repeat=repeat,
        )
    except escalation.EscalationError as error:
        raise ValidationError({"steps": str(error)}) from error


def _version_bump(policy: EscalationPolicy) -> None:
    # bulk_create sends no signal: move the version here, in the same transaction.
    EscalationPolicy.objects.filter(pk=policy.pk).update(version=F("version") + 1)
    policy.refresh_from_db(fields=["version"])


def _steps_write(policy: EscalationPolicy, steps: Sequence[StepSpec]) -> None:
    """Store `steps` under `policy` (which has none now): one insert for the steps, one for
    every target."""
    made = EscalationStep.objects.bulk_create(
        EscalationStep(
            policy=policy, position=index, escalate_after_minutes=s.escalate_after_minutes
        )
        for index, s in enumerate(steps)
    )
    targets = EscalationTarget.objects.bulk_create(
        EscalationTarget(
            step=step,
            kind=t.kind,
            person=t.person,
            schedule=t.schedule,
            team=policy.team if t.kind in (Kind.TEAM_ALL, Kind.TEAM_ROUND_ROBIN) else None,
        )
        for step, spec in zip(made, steps, strict=True)
        for t in spec.targets
    )
    audit_bulk_created([*made, *targets])
    _version_bump(policy)


def _steps_of(policy: EscalationPolicy) -> list[StepSpec]:
    return [
        StepSpec(
            escalate_after_minutes=step.escalate_after_minutes,
            targets=[TargetSpec(kind=t.kind) for t in step.targets.all()],
        )
        for step in policy.steps.prefetch_related("targets").order_by("position")
    ]


@transaction.atomic
def escalation_policy_create(
    *,
    team: Team,
    name: str,
    steps: Sequence[StepSpec],
    repeat: int = 0,
    description: str = "",
) -> EscalationPolicy:
    """Create a policy of `team` with its `steps`, whole or not at all."""
    policy = EscalationPolicy(team=team, name=name, repeat=repeat, description=description)
    problems = _policy_problems(policy) | _step_problems(team, steps, repeat)
    if problems:
        raise ValidationError(problems)
    _engine_check(steps, repeat)
    policy.save()
    _steps_write(policy, steps)
    return policy


@transaction.atomic
def escalation_policy_update(
    *, policy: EscalationPolicy, changes: Mapping[str, object]
) -> EscalationPolicy:
    """Change the fields of `policy` named in `changes` (any of POLICY_FIELDS); replace its
    steps whole when `changes` has `steps` (a list of StepSpec). A policy never moves to
    another team."""
    locked = EscalationPolicy.objects.select_for_update().select_related("team").get(pk=policy.pk)
    team = changes.get("team")
    if team is not None and team != locked.team:
        raise ValidationError(
            {"team": "A policy stays in its team; create a new one in the other team instead."}
        )
    for field in POLICY_FIELDS:
        if field in changes:
            setattr(locked, field, changes[field])
    steps = changes.get("steps")
    problems = _policy_problems(locked)
    if steps is not None:
        problems |= _step_problems(locked.team, steps, locked.repeat)
    if problems:
        raise ValidationError(problems)
    _engine_check(_steps_of(locked) if steps is None else steps, locked.repeat)
    locked.save()  # its signal moves the version
    if steps is not None:
        locked.steps.all().delete()
        _steps_write(locked, steps)
    return locked


@transaction.atomic
def escalation_policy_delete(*, policy: EscalationPolicy) -> None:
    """Delete `policy` with its steps; refused (ProtectedError, naming them) while services use
    it. Incidents keep the copy of it they were paged by."""
    policy.delete()
