"""The escalation policy editor's form: the policy's fields as a Django form, and its steps and
targets as indexed fields (step-0-minutes, step-0-target-1-kind, step-0-target-1-subject), so
that the page works with plain POSTs. Buttons that add, remove or move a step or a target change
only what is shown; "Save policy" hands the whole policy to incidents/services/policy_admin.py,
whose errors come back onto the step and target they name."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError

from incidents.models import EscalationPolicy, EscalationTarget
from incidents.services.policy_admin import (
    MAX_ESCALATE_AFTER_MINUTES,
    MAX_REPEAT,
    MAX_STEPS,
    MAX_TARGETS,
    StepSpec,
    TargetSpec,
)
from oncall.models import Person, Schedule, Team

Kind = EscalationTarget.Kind
KIND_CHOICES = [
    (Kind.PERSON, "A person"),
    (Kind.SCHEDULE, "A schedule's on-call"),
    (Kind.TEAM_ALL, "The whole team at once"),
    (Kind.TEAM_ROUND_ROBIN, "The team, one in turn"),
]
SUBJECT_OF = {Kind.PERSON: "person", Kind.SCHEDULE: "schedule"}  # the team kinds: "team"
STEP_ERROR = re.compile(r"^steps\[(\d+)\](?:\.targets\[(\d+)\])?\.?(.*)$")
DEFAULT_MINUTES = 5


class PolicyForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    repeat = forms.IntegerField(
        label="Repeat the steps",
        min_value=0,
        max_value=MAX_REPEAT,
        initial=0,
        help_text="How many more times to run the steps while nobody acknowledges.",
    )
    description = forms.CharField(
        label="Description",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        if teams is not None:  # a new policy: choose its team
            self.fields["team"] = forms.ModelChoiceField(
                label="Team",
                queryset=teams,
                empty_label=None,
                error_messages={"invalid_choice": "Choose one of the teams listed."},
            )


@dataclass
class TargetRow:
    kind: str = ""
    subject: str = ""  # "person:12", "schedule:3" or "team:5"
    errors: list[str] = field(default_factory=list)


@dataclass
class StepRow:
    minutes: str = str(DEFAULT_MINUTES)
    targets: list[TargetRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _subject_key(target: EscalationTarget, team_id: int) -> str:
    kind = SUBJECT_OF.get(target.kind, "team")
    return f"{kind}:{target.subject_id if kind != 'team' else team_id}"


def sentence(message: str) -> str:
    """Return `message` to follow "Step 2: ", its first word in lower case unless a name."""
    first = message.split(" ", 1)[0]
    if first in {"A", "Add", "Choose", "Give", "Name", "There", "This", "Unknown"}:
        return message[0].lower() + message[1:]
    return message


class StepsEditor:
    """The steps of a policy as the page shows them, read from a policy or from a POST."""

    def __init__(self, team: Team, rows: list[StepRow]):
        self.team = team
        self.rows = rows
        self.errors: list[str] = []
        self.people = list(
            Person.objects.filter(memberships__team=team).order_by("display_name").distinct()
        )
        self.schedules = list(Schedule.objects.filter(team=team).order_by("name"))

    @classmethod
    def of_policy(cls, policy: EscalationPolicy) -> StepsEditor:
        rows = [
            StepRow(
                minutes=str(step.escalate_after_minutes),
                targets=[
                    TargetRow(kind=t.kind, subject=_subject_key(t, policy.team_id))
                    for t in step.targets.all()
                ],
            )
            for step in policy.steps.prefetch_related("targets").order_by("position")
        ]
        return cls(policy.team, rows)

    @classmethod
    def blank(cls, team: Team) -> StepsEditor:
        return cls(team, [StepRow(targets=[TargetRow()])])

    @classmethod
    def of_post(cls, team: Team, data) -> StepsEditor:
        """Read the indexed step fields of `data`, in the order of their numbers."""
        rows = []
        for i in range(MAX_STEPS + 1):
            if f"step-{i}-minutes" not in data:
                break
            targets = []
            for j in range(MAX_TARGETS + 1):
                prefix = f"step-{i}-target-{j}"
                if f"{prefix}-kind" not in data:
                    break
                targets.append(
                    TargetRow(
                        kind=data.get(f"{prefix}-kind", ""),
                        subject=data.get(f"{prefix}-subject", ""),
                    )
                )
            rows.append(StepRow(minutes=data.get(f"step-{i}-minutes", "").strip(), targets=targets))
        return cls(team, rows)

    @property
    def groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Return the subjects a target may page, grouped for the page's select."""
        return [
            ("People", [(f"person:{p.pk}", p.display_name) for p in self.people]),
            ("Schedules", [(f"schedule:{s.pk}", f"{s.name}'s on-call") for s in self.schedules]),
            ("Team", [(f"team:{self.team.pk}", self.team.name)]),
        ]

    # The buttons that only change what is shown.

    def apply(self, op: str) -> None:
        """Apply a button: add-step, remove-step-I, up-I, down-I, add-target-I,
        remove-target-I-J. An unknown or stale one changes nothing."""
        parts = op.split("-")
        numbers = [int(p) for p in parts if p.isdigit()]
        rows = self.rows
        if op == "add-step" and len(rows) < MAX_STEPS:
            rows.append(StepRow(targets=[TargetRow()]))
        elif not numbers or numbers[0] >= len(rows):
            return
        elif op.startswith("remove-step-"):
            del rows[numbers[0]]
        elif op.startswith("up-") and numbers[0] > 0:
            i = numbers[0]
            rows[i - 1], rows[i] = rows[i], rows[i - 1]
        elif op.startswith("down-") and numbers[0] < len(rows) - 1:
            i = numbers[0]
            rows[i + 1], rows[i] = rows[i], rows[i + 1]
        elif op.startswith("add-target-") and len(rows[numbers[0]].targets) < MAX_TARGETS:
            rows[numbers[0]].targets.append(TargetRow())
        elif op.startswith("remove-target-") and len(numbers) == 2:
            targets = rows[numbers[0]].targets
            if numbers[1] < len(targets):
                del targets[numbers[1]]

    # Saving.

    def subjects(self) -> dict[str, object]:
        found: dict[str, object] = {f"person:{p.pk}": p for p in self.people}
        found |= {f"schedule:{s.pk}": s for s in self.schedules}
        found[f"team:{self.team.pk}"] = self.team
        return found

    def specs(self) -> list[StepSpec] | None:
        """Return the steps as the service takes them, or None with the errors put in place."""
        subjects = self.subjects()
        specs = []
        for row in self.rows:
            try:
                minutes = int(row.minutes)
            except ValueError:
                row.errors.append(
                    "Give the minutes to wait as a whole number, "
                    f"0 to {MAX_ESCALATE_AFTER_MINUTES}."
                )
                minutes = 0
            targets = []
            for target in row.targets:
                subject = subjects.get(target.subject)
                if target.kind not in Kind.values:
                    target.errors.append("Choose whom this target pages.")
                elif subject is None:
                    target.errors.append("Choose one of the people, schedules or the team listed.")
                else:
                    wanted = SUBJECT_OF.get(target.kind, "team")
                    if not target.subject.startswith(f"{wanted}:"):
                        target.errors.append(f"This kind of target pages a {wanted}: choose one.")
                    else:
                        targets.append(TargetSpec(kind=target.kind, **{wanted: subject}))
            specs.append(StepSpec(escalate_after_minutes=minutes, targets=targets))
        if self.has_errors():
            return None
        return specs

    def errors_onto(self, form: forms.Form, error: ValidationError) -> None:
        """Put the service's `error` on the step, target or field it names."""
        problems = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
        for key, messages in problems.items():
            found = STEP_ERROR.match(key or "")
            if found and int(found.group(1)) < len(self.rows):
                row = self.rows[int(found.group(1))]
                if found.group(2) is not None and int(found.group(2)) < len(row.targets):
                    row.targets[int(found.group(2))].errors.extend(messages)
                else:
                    row.errors.extend(messages)
            elif key == "steps":
                self.errors.extend(messages)
            else:
                for message in messages:
                    form.add_error(key if key in form.fields else None, message)

    def has_errors(self) -> bool:
        return bool(
            self.errors or any(r.errors or any(t.errors for t in r.targets) for r in self.rows)
        )

    def summary(self) -> list[str]:
        """Return every step's and target's errors as "Step 2: ...", in order."""
        lines = list(self.errors)
        for number, row in enumerate(self.rows, 1):
            lines += [f"Step {number}: {sentence(m)}" for m in row.errors]
            for index, target in enumerate(row.targets, 1):
                lines += [f"Step {number}, target {index}: {sentence(m)}" for m in target.errors]
        return lines
