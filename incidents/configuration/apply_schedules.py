"""Applying a file, part two: schedules, their layers (matched by position) and overrides."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from oncall import services
from oncall.models import Override, Schedule, Team
from oncall.services import LayerSpec, RestrictionSpec

from . import schema
from .compare import CREATE, Change
from .normal import restriction_minutes

if TYPE_CHECKING:
    from .apply import Applying


def _layer_spec(run: Applying, layer: dict) -> LayerSpec:
    return LayerSpec(
        name=layer["name"],
        participants=[run.person(email) for email in layer["participants"]],
        turn_unit=layer["turn_unit"],
        turn_count=layer["turn_count"],
        handoff=layer["handoff"],
        time_zone=layer["time_zone"],
        restrictions=[_restriction(r) for r in layer["restrictions"]],
        active_from=layer["active_from"],
        active_until=layer["active_until"],
    )


def schedule_write(run: Applying, change: Change) -> None:
    wanted = change.wanted
    if change.action == CREATE:
        services.schedule_create(
            team=Team.objects.get(name=wanted["team"]),
            name=wanted["name"],
            time_zone=wanted["time_zone"],
            description=wanted["description"],
            layers=[_layer_spec(run, layer) for layer in wanted["layers"]],
        )
        return
    schedule = Schedule.objects.get(name=change.name)
    fields = {f.field: f.after for f in change.fields if f.field in ("time_zone", "description")}
    if fields:
        services.schedule_update(schedule=schedule, **fields)
    layers = list(schedule.layers.order_by("position", "id"))
    old, new = change.current["layers"], wanted["layers"]
    for index, layer in enumerate(new):
        if index >= len(old):
            spec = _layer_spec(run, layer)
            services.layer_create(schedule=schedule, **spec.__dict__)
        elif layer != old[index]:
            _layer_update(run, layers[index], old[index], layer)
    for stale in layers[len(new) :]:
        services.layer_delete(layer=stale)


def _layer_update(run: Applying, layer, before: dict, after: dict) -> None:
    spec = _layer_spec(run, after)
    changes = {}
    for name in ("name", "turn_unit", "turn_count", "handoff", "time_zone"):
        if before[name] != after[name]:
            changes[name] = getattr(spec, name)
    for name in ("active_from", "active_until"):
        if before[name] != after[name]:
            changes[name] = getattr(spec, name)
    if before["participants"] != after["participants"]:
        changes["participants"] = spec.participants
    if before["restrictions"] != after["restrictions"]:
        changes["restrictions"] = spec.restrictions
    services.layer_update(layer=layer, **changes)


def _override(run: Applying, change: Change) -> Override:
    found = change.wanted or change.current
    return Override.objects.filter(
        schedule__name=change.parent,
        person=run.person(found["person"]),
        start=found["start"],
        end=found["end"],
    ).first()


def override_write(run: Applying, change: Change) -> None:
    wanted = change.wanted
    if change.action == CREATE:
        services.override_create(
            schedule=Schedule.objects.get(name=change.parent),
            person=run.person(wanted["person"]),
            start=wanted["start"],
            end=wanted["end"],
            reason=wanted["reason"],
        )
    else:
        services.override_update(override=_override(run, change), reason=wanted["reason"])


def override_delete(run: Applying, change: Change) -> None:
    services.override_delete(override=_override(run, change))


def schedule_delete(run: Applying, change: Change) -> None:
    services.schedule_delete(schedule=Schedule.objects.get(name=change.name))


def _restriction(restriction: dict) -> RestrictionSpec:
    hours, minutes = (int(part) for part in restriction["start"].split(":"))
    return RestrictionSpec(
        kind=restriction["kind"],
        start_time=time(hours, minutes),
        duration=restriction_minutes(restriction["duration"]),
        start_weekday=schema.WEEKDAYS.index(restriction["weekday"]),
    )
