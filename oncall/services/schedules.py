"""Writes: schedules, with their layers saved whole or not at all (oncall/services/layers.py)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.dispatch import Signal

from oncall.models import Schedule, Team
from oncall.services._checks import errors_of, only
from oncall.services.layers import LayerSpec, layers_build, layers_save, schedule_hold

# Escalation policies page schedules but belong to the layer above, which this one never imports:
# before a schedule goes, the receivers up there name what still pages it (incidents/signals.py),
# and the deletion is refused rather than leaving a policy's step with nobody to page.
# schedule_used_by.send(sender=Schedule, schedule=s): each receiver returns a list of names.
schedule_used_by = Signal()

SCHEDULE_FIELDS = frozenset({"name", "time_zone", "description"})


@transaction.atomic
def schedule_create(
    *,
    team: Team,
    name: str,
    time_zone: str = "UTC",
    description: str = "",
    layers: Sequence[LayerSpec] = (),
) -> Schedule:
    """Create a schedule with its layers (lowest first), all validated before anything is saved."""
    schedule = Schedule(team=team, name=name, time_zone=time_zone, description=description)
    errors = _schedule_errors(schedule)
    built, found = layers_build(schedule, layers, taken=set(), prefix="layers")
    if errors or found:
        raise ValidationError(errors | found)
    schedule.save()
    layers_save(schedule, built)
    return schedule


@transaction.atomic
def schedule_update(
    *, schedule: Schedule, layers: Sequence[LayerSpec] | None = None, **fields
) -> Schedule:
    """Change the schedule's `fields` (name, time_zone, description) and, given `layers`,
    replace its layers with them whole."""
    only(fields, SCHEDULE_FIELDS)
    for name, value in fields.items():
        setattr(schedule, name, value)
    errors = _schedule_errors(schedule)
    built, found = [], {}
    if layers is not None:
        schedule_hold(schedule)
        built, found = layers_build(schedule, layers, taken=set(), prefix="layers")
    if errors or found:
        raise ValidationError(errors | found)
    if fields:
        # Never the whole row: `version` in memory may be behind the database's.
        schedule.save(update_fields=sorted(fields))
    if layers is not None:
        schedule.layers.all().delete()
        layers_save(schedule, built)
    return schedule


@transaction.atomic
def schedule_delete(*, schedule: Schedule) -> None:
    """Delete the schedule with its layers, overrides and calendar feeds; refused with a
    ProtectedError naming them while escalation policies still page it."""
    users = sorted(
        {
            name
            for _, names in schedule_used_by.send(sender=Schedule, schedule=schedule)
            for name in names or ()
        }
    )
    if users:
        raise ProtectedError(
            f"{schedule.name} is still paged by {', '.join(users)}; take it out of them first.",
            users,
        )
    schedule.delete()


def _schedule_errors(schedule: Schedule) -> dict[str, list[str]]:
    try:
        schedule.full_clean()
    except ValidationError as error:
        return errors_of(error)
    return {}
