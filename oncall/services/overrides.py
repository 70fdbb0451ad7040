"""Writes: overrides, someone covering a schedule for a while whatever its layers say; one at a
time, or many at once in one insert."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from oncall import audit
from oncall.models import Override, Person, Schedule
from oncall.services._checks import errors_of, not_a_member, only, require_aware, strangers
from oncall.signals import schedule_version_bump

OVERRIDE_FIELDS = frozenset({"person", "start", "end", "reason"})


@dataclass(frozen=True)
class OverrideSpec:
    person: Person
    start: datetime
    end: datetime
    reason: str = ""


@transaction.atomic
def override_create(
    *,
    schedule: Schedule,
    person: Person,
    start: datetime,
    end: datetime,
    reason: str = "",
    created_by=None,
) -> Override:
    """Put `person` on call for `schedule` from `start` to `end`, over every layer."""
    override = Override(
        schedule=schedule,
        person=person,
        start=start,
        end=end,
        reason=reason,
        created_by=created_by,
    )
    errors = _override_errors(override, outsiders=_outsiders(schedule, [person]))
    if errors:
        raise ValidationError(errors)
    override.save()
    return override


@transaction.atomic
def overrides_create(
    *, schedule: Schedule, overrides: Sequence[OverrideSpec], created_by=None
) -> list[Override]:
    """Put each of `overrides` on `schedule` (a later one wins where they overlap), validated
    all together, then saved in one insert: as many queries for a hundred as for one."""
    built = [
        Override(
            schedule=schedule,
            person=spec.person,
            start=spec.start,
            end=spec.end,
            reason=spec.reason,
            created_by=created_by,
        )
        for spec in overrides
    ]
    outsiders = _outsiders(schedule, [spec.person for spec in overrides])
    errors = {}
    for index, override in enumerate(built):
        found = _override_errors(override, outsiders=outsiders)
        errors |= {f"[{index}].{field}": messages for field, messages in found.items()}
    if errors:
        raise ValidationError(errors)
    created = Override.objects.bulk_create(built)
    # bulk_create sends no signals: the version moves here, and the audit log is told.
    schedule_version_bump(schedule_id=schedule.pk)
    audit.audit_bulk_created(created)
    return created


@transaction.atomic
def override_update(*, override: Override, **fields) -> Override:
    """Change the override's `fields` (person, start, end, reason), validated as a whole."""
    only(fields, OVERRIDE_FIELDS)
    for name, value in fields.items():
        setattr(override, name, value)
    people = [override.person] if "person" in fields else []
    errors = _override_errors(override, outsiders=_outsiders(override.schedule, people))
    if errors:
        raise ValidationError(errors)
    override.save()
    return override


@transaction.atomic
def override_delete(*, override: Override) -> None:
    """Delete the override: the layers decide again who is on call."""
    override.delete()


def _outsiders(schedule: Schedule, people: Collection[Person]) -> set[int]:
    return {person.pk for person in strangers(team_id=schedule.team_id, people=people)}


def _override_errors(override: Override, *, outsiders: set[int]) -> dict[str, list[str]]:
    """Return what is wrong with `override`, by field, without asking the database."""
    try:
        require_aware(start=override.start, end=override.end)
    except ValidationError as error:
        return errors_of(error)
    errors = {}
    if override.person_id in outsiders:
        errors["person"] = [not_a_member(override.person)]
    try:
        # The schedule, person and author are the caller's own objects: no query to find them.
        override.full_clean(
            exclude={"schedule", "person", "created_by", *errors},
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        errors |= errors_of(error)
    return errors
