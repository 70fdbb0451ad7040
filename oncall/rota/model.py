"""The rota's data: layers, restrictions, overrides and shifts, validated when built."""

from __future__ import annotations

import enum
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

PersonKey = Hashable


class RotaError(ValueError):
    """A rota that cannot be evaluated (bad turn length, no participants, naive datetime...)."""


class TurnUnit(enum.StrEnum):
    HOURS = "hours"  # elapsed time: a 12-hour turn is always 12 real hours
    DAYS = "days"  # calendar days in the layer's zone: handoff stays at the same local time
    WEEKS = "weeks"  # calendar weeks in the layer's zone


class RestrictionKind(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True, slots=True)
class Restriction:
    """A window, in the layer's local wall-clock time, when the layer is active.

    Daily: every day from start_time for `duration` (at most 24 h). Weekly: from start_weekday
    (0 = Monday) at start_time for `duration` (at most 7 days). A window may cross midnight.
    """

    kind: RestrictionKind
    start_time: time
    duration: timedelta
    start_weekday: int = 0

    def __post_init__(self):
        object.__setattr__(self, "kind", _member(RestrictionKind, self.kind, "restriction kind"))
        _check_restriction(self)


@dataclass(frozen=True, slots=True)
class Layer:
    """A rotation: participants take turns of `turn_count` x `turn_unit`, starting at `handoff`.

    `handoff` is any aware instant at which participants[0]'s turn begins; turns repeat forwards
    and backwards from it. The layer is active only between `active_from` and `active_until`
    (either may be None for unbounded) and, when it has restrictions, only inside them.
    """

    participants: tuple[PersonKey, ...]
    turn_unit: TurnUnit
    turn_count: int
    handoff: datetime
    time_zone: str
    restrictions: tuple[Restriction, ...] = ()
    active_from: datetime | None = None
    active_until: datetime | None = None

    def __post_init__(self):
        object.__setattr__(self, "participants", tuple(self.participants))
        object.__setattr__(self, "restrictions", tuple(self.restrictions))
        object.__setattr__(self, "turn_unit", _member(TurnUnit, self.turn_unit, "turn_unit"))
        _check_layer(self)


@dataclass(frozen=True, slots=True)
class Override:
    """`person` is on call from `start` to `end`, whatever the layers say."""

    person: PersonKey
    start: datetime
    end: datetime

    def __post_init__(self):
        _check_override(self)


@dataclass(frozen=True, slots=True)
class Shift:
    """[start, end) with `person` on call; person None is a gap (nobody on call)."""

    start: datetime
    end: datetime
    person: PersonKey | None


@dataclass(frozen=True)
class Rota:
    """A schedule: layers from lowest to highest (the last wins), then overrides on top of all.

    Among overlapping overrides, the one later in the tuple wins.
    """

    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "overrides", tuple(self.overrides))
        _check_parts(self)


# --- Validation ---------------------------------------------------------------------------------


def _check_parts(rota: Rota) -> None:
    for layer in rota.layers:
        if not isinstance(layer, Layer):
            raise RotaError(f"rota layers must be Layer objects, got {layer!r}")
    for override in rota.overrides:
        if not isinstance(override, Override):
            raise RotaError(f"rota overrides must be Override objects, got {override!r}")


def _check_layer(layer: Layer) -> None:
    if not layer.participants:
        raise RotaError("layer has no participants: a rotation needs at least one person")
    if any(person is None for person in layer.participants):
        raise RotaError("layer participants cannot include None (None means nobody on call)")
    _member(TurnUnit, layer.turn_unit, "turn_unit")
    count = layer.turn_count
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise RotaError(f"turn_count must be a whole number >= 1, got {count!r}")
    _zone(layer.time_zone)
    _check_aware(layer.handoff, "layer handoff")
    for bound, name in ((layer.active_from, "active_from"), (layer.active_until, "active_until")):
        if bound is not None:
            _check_aware(bound, f"layer {name}")
    # Compared as instants: == and < between datetimes sharing a tzinfo read the wall clock.
    if (
        layer.active_from is not None
        and layer.active_until is not None
        and _utc(layer.active_until) <= _utc(layer.active_from)
    ):
        raise RotaError(
            f"layer active_until ({layer.active_until.isoformat()}) is not after "
            f"active_from ({layer.active_from.isoformat()})"
        )
    for restriction in layer.restrictions:
        if not isinstance(restriction, Restriction):
            raise RotaError(f"layer restrictions must be Restriction objects, got {restriction!r}")
        _check_restriction(restriction)


def _check_restriction(restriction: Restriction) -> None:
    kind = _member(RestrictionKind, restriction.kind, "restriction kind")
    if not isinstance(restriction.start_time, time):
        raise RotaError(f"restriction start_time must be a time, got {restriction.start_time!r}")
    if restriction.start_time.tzinfo is not None:
        raise RotaError("restriction start_time must be a local wall-clock time, without tzinfo")
    duration = restriction.duration
    if not isinstance(duration, timedelta):
        raise RotaError(f"restriction duration must be a timedelta, got {duration!r}")
    if duration <= timedelta(0):
        raise RotaError(f"restriction duration must be positive, got {duration}")
    if kind is RestrictionKind.DAILY and duration > timedelta(hours=24):
        raise RotaError(f"daily restriction duration must be at most 24 hours, got {duration}")
    if kind is RestrictionKind.WEEKLY and duration > timedelta(days=7):
        raise RotaError(f"weekly restriction duration must be at most 7 days, got {duration}")
    weekday = restriction.start_weekday
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise RotaError(
            f"restriction start_weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}"
        )


def _check_override(override: Override) -> None:
    if override.person is None:
        raise RotaError("override person cannot be None (an override puts someone on call)")
    _check_aware(override.start, "override start")
    _check_aware(override.end, "override end")
    if _utc(override.end) <= _utc(override.start):
        raise RotaError(
            f"override end ({override.end.isoformat()}) is not after its start "
            f"({override.start.isoformat()})"
        )


def _utc(value: datetime) -> datetime:
    # Datetimes sharing one ZoneInfo compare by wall clock; compare instants in UTC instead.
    return value.astimezone(UTC)


def _check_aware(value: object, name: str) -> None:
    if not isinstance(value, datetime):
        raise RotaError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise RotaError(f"{name} is a naive datetime ({value.isoformat()}); give it a time zone")


def _member(kind: type[enum.Enum], value: object, name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise RotaError(f"unknown {name} {value!r}; expected one of {allowed}") from None


def _zone(name: object) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, TypeError, OSError):  # KeyError: ZoneInfoNotFoundError
        raise RotaError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Lisbon"
        ) from None
