"""Writes: a schedule's layers, rotations with their members (in turn order) and the windows
they are active in, each validated whole before anything is saved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from oncall import audit, rota, selectors
from oncall.models import Layer, LayerMember, LayerRestriction, Person, Schedule
from oncall.services._checks import errors_of, not_a_member, only, require_aware, strangers
from oncall.signals import schedule_version_bump

LAYER_FIELDS = frozenset(
    {
        "name",
        "position",
        "turn_unit",
        "turn_count",
        "handoff",
        "time_zone",
        "active_from",
        "active_until",
    }
)


@dataclass(frozen=True)
class RestrictionSpec:
    kind: str
    start_time: time
    duration: timedelta
    start_weekday: int = 0


@dataclass(frozen=True)
class LayerSpec:
    """A layer as written, but for its schedule; `position` None puts it on top."""

    name: str
    participants: Sequence[Person]
    turn_unit: str
    turn_count: int
    handoff: datetime
    time_zone: str
    restrictions: Sequence[RestrictionSpec] = ()
    position: int | None = None
    active_from: datetime | None = None
    active_until: datetime | None = None


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
    spec = LayerSpec(
        name=name,
        participants=participants,
        turn_unit=turn_unit,
        turn_count=turn_count,
        handoff=handoff,
        time_zone=time_zone,
        restrictions=restrictions,
        position=position,
        active_from=active_from,
        active_until=active_until,
    )
    schedule_hold(schedule)
    taken = set(schedule.layers.values_list("position", flat=True))
    built, errors = layers_build(schedule, [spec], taken=taken, prefix="")
    if errors:
        raise ValidationError(errors)
    layers_save(schedule, built)
    return built[0][0]


@transaction.atomic
def layer_update(
    *,
    layer: Layer,
    participants: Sequence[Person] | None = None,
    restrictions: Sequence[RestrictionSpec] | None = None,
    **fields,
) -> Layer:
    """Change the layer's `fields` and, when given, replace its participants (in turn order) or
    its restrictions whole; validated as a whole layer before anything is saved."""
    only(fields, LAYER_FIELDS)
    for name, value in fields.items():
        setattr(layer, name, value)
    schedule = layer.schedule
    schedule_hold(schedule)
    taken = set(schedule.layers.exclude(pk=layer.pk).values_list("position", flat=True))
    outsiders = set()
    if participants is not None:
        outsiders = {p.pk for p in strangers(team_id=schedule.team_id, people=participants)}
    errors = _layer_errors(
        layer,
        participants
        if participants is not None
        else [member.person for member in layer.members.select_related("person")],
        restrictions if restrictions is not None else list(layer.restrictions.all()),
        outsiders=outsiders,
        taken=taken,
    )
    if errors:
        raise ValidationError(errors)
    if fields:
        layer.save()
    if participants is not None:
        layer.members.all().delete()
    if restrictions is not None:
        layer.restrictions.all().delete()
    _parts_add([(layer, participants or (), restrictions or ())])
    if participants is not None or restrictions is not None:
        schedule_version_bump(schedule_id=schedule.pk)
    return layer


@transaction.atomic
def layer_delete(*, layer: Layer) -> None:
    """Delete the layer with its members and restrictions; the layers above keep winning."""
    layer.delete()


def schedule_hold(schedule: Schedule) -> None:
    """Hold the schedule's row until the transaction ends, so that writes to its layers take
    turns: two layers added at once must not both take the top position (a unique one)."""
    list(Schedule.objects.select_for_update().filter(pk=schedule.pk).values_list("pk"))


# --- validation and saving, shared with the schedule writes ------------------------------------


def layers_build(
    schedule: Schedule, specs: Sequence[LayerSpec], *, taken: set[int], prefix: str
) -> tuple[list[tuple[Layer, LayerSpec]], dict[str, list[str]]]:
    """Return each spec as an unsaved layer of `schedule`, and every error of every layer by
    field (under `prefix[index].` when there is a prefix). Positions not given go on top."""
    everyone = [person for spec in specs for person in spec.participants]
    outsiders = {p.pk for p in strangers(team_id=schedule.team_id, people=everyone)}
    built, errors = [], {}
    for index, spec in enumerate(specs):
        position = spec.position if spec.position is not None else 1 + max(taken, default=-1)
        layer = Layer(
            schedule=schedule,
            name=spec.name,
            position=position,
            turn_unit=spec.turn_unit,
            turn_count=spec.turn_count,
            handoff=spec.handoff,
            time_zone=spec.time_zone,
            active_from=spec.active_from,
            active_until=spec.active_until,
        )
        found = _layer_errors(
            layer, spec.participants, spec.restrictions, outsiders=outsiders, taken=taken
        )
        where = f"{prefix}[{index}]." if prefix else ""
        errors |= {f"{where}{field}": messages for field, messages in found.items()}
        taken.add(position)
        built.append((layer, spec))
    return built, errors


def _layer_errors(
    layer: Layer,
    participants: Sequence[Person],
    restrictions: Sequence,
    *,
    outsiders: set[int],
    taken: set[int],
) -> dict[str, list[str]]:
    """Return what is wrong with `layer` taking these participants and restrictions, by field."""
    errors: dict[str, list[str]] = {}
    try:
        require_aware(
            handoff=layer.handoff, active_from=layer.active_from, active_until=layer.active_until
        )
    except ValidationError as error:
        errors |= errors_of(error)
    naive = bool(errors)
    if not participants:
        errors["participants"] = ["A layer needs at least one member."]
    named = list(dict.fromkeys(not_a_member(p) for p in participants if p.pk in outsiders))
    if named:
        errors["participants"] = named
    if isinstance(layer.position, int) and layer.position in taken:
        errors["position"] = [f"Another layer of the schedule has position {layer.position}."]
    if isinstance(layer.turn_count, int) and layer.turn_count < 1:
        errors["turn_count"] = ["A turn lasts at least one hour, day or week: give 1 or more."]
    errors |= _restriction_errors(restrictions)
    try:
        # The schedule may not be saved yet; positions and constraints are checked above.
        layer.clean_fields(exclude={"schedule", *errors})
        if not naive:  # clean() compares active_from with active_until
            layer.clean()
    except ValidationError as error:
        errors |= errors_of(error)
    if not errors:
        try:
            selectors.rota_layer(
                layer, participants=[p.pk for p in participants], restrictions=restrictions
            )
        except ValueError as error:  # RotaError: what the checks above did not foresee
            errors["__all__"] = [str(error)]
    return errors


def _restriction_errors(restrictions: Sequence) -> dict[str, list[str]]:
    errors = {}
    for index, r in enumerate(restrictions):
        if r.duration == timedelta(0):
            problem = "Restriction end must differ from its start."
        else:
            try:
                rota.Restriction(
                    kind=r.kind,
                    start_time=r.start_time,
                    duration=r.duration,
                    start_weekday=r.start_weekday,
                )
                continue
            except ValueError as error:  # RotaError
                problem = f"{str(error)[0].upper()}{str(error)[1:]}."
        errors[f"restrictions[{index}]"] = [problem]
    return errors


def layers_save(schedule: Schedule, built: list[tuple[Layer, LayerSpec]]) -> None:
    # Each layer's save bumps the schedule's version (oncall/signals.py); its members and
    # restrictions, bulk-inserted next, commit in the same transaction as that bump.
    for layer, _ in built:
        layer.schedule = schedule  # saved by now
        layer.save()
    _parts_add([(layer, spec.participants, spec.restrictions) for layer, spec in built])


def _parts_add(parts: list[tuple[Layer, Sequence[Person], Sequence]]) -> None:
    """Insert the members and restrictions of layers, one bulk insert each for all of them."""
    members = LayerMember.objects.bulk_create(
        LayerMember(layer=layer, person=person, position=turn)
        for layer, people, _ in parts
        for turn, person in enumerate(people)
    )
    windows = LayerRestriction.objects.bulk_create(
        LayerRestriction(
            layer=layer,
            kind=r.kind,
            start_weekday=r.start_weekday,
            start_time=r.start_time,
            duration=r.duration,
        )
        for layer, _, restrictions in parts
        for r in restrictions
    )
    audit.audit_bulk_created([*members, *windows])  # one insert for both
