"""Writes: schedules' layers (rotations with their members and restrictions) and overrides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from oncall import selectors
from oncall.audit import audit_bulk_created
from oncall.models import Layer, LayerMember, LayerRestriction, Override, Person, Schedule
from oncall.services._checks import require_aware


@dataclass(frozen=True)
class RestrictionSpec:
    kind: str
    start_time: time
    duration: timedelta
    start_weekday: int = 0


@transaction.atomic
def layer_create(
    *,
    schedule: Schedule,
    name: str,
    participants: Sequence[Person],
    turn_unit: str,
    turn_count: int,
    handoff: datetime,
    time_zone: str,
    restrictions: Sequence[RestrictionSpec] = (),
    position: int | None = None,
    active_from: datetime | None = None,
    active_until: datetime | None = None,
) -> Layer:
    """Add a rotation on top of `schedule`'s layers (or at `position`), validated whole."""
    require_aware(handoff=handoff, active_from=active_from, active_until=active_until)
    if not participants:
        raise ValidationError({"participants": "A layer needs at least one participant."})
    if position is None:
        position = 1 + max(schedule.layers.values_list("position", flat=True), default=-1)
    layer = Layer(
        schedule=schedule,
        name=name,
        position=position,
        turn_unit=turn_unit,
        turn_count=turn_count,
        handoff=handoff,
        time_zone=time_zone,
        active_from=active_from,
        active_until=active_until,
    )
    layer.full_clean()
    try:
        selectors.rota_layer(
            layer, participants=[p.pk for p in participants], restrictions=restrictions
        )
    except ValueError as error:  # RotaError, or an unknown restriction kind
        raise ValidationError({"restrictions": str(error)}) from error
    layer.save()
    members = LayerMember.objects.bulk_create(
        LayerMember(layer=layer, person=person, position=index)
        for index, person in enumerate(participants)
    )
    restrictions = LayerRestriction.objects.bulk_create(
        LayerRestriction(
            layer=layer,
            kind=r.kind,
            start_weekday=r.start_weekday,
            start_time=r.start_time,
            duration=r.duration,
        )
        for r in restrictions
    )
    audit_bulk_created([*members, *restrictions])
    return layer


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
    require_aware(start=start, end=end)
    override = Override(
        schedule=schedule,
        person=person,
        start=start,
        end=end,
        reason=reason,
        created_by=created_by,
    )
    override.full_clean()
    override.save()
    return override
