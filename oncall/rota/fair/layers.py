"""From the schedule's layers to the needs a proposal must meet, and round-robin to compare."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime

from oncall.load import Load, load_of
from oncall.rota import Layer, PersonKey, Rota, Shift, final_shifts, layer_shifts

from .problem import Need, Participant

_LAST = datetime.max.replace(tzinfo=UTC)  # sorts after any interval starting at the same instant


def needs_from_layers(
    layers: Sequence[tuple[str, Layer]], since: datetime, until: datetime
) -> tuple[Need, ...]:
    """Return the layers' windows over [since, until) as needs, lowest layer first in `layers`.

    Where several layers are active, the highest (last) wins, as in the rota: that stretch's
    candidates are its participants. Stretches of one winning layer are merged.
    """
    active = [_merged(layer_shifts(layer, since, until)) for _, layer in layers]
    cuts = sorted({instant for pieces in active for piece in pieces for instant in piece})
    needs: list[Need] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        winner = None
        for index in range(len(layers) - 1, -1, -1):
            if _covers(active[index], start, end):
                winner = index
                break
        if winner is None:
            continue
        name, layer = layers[winner]
        last = needs[-1] if needs else None
        if last is not None and last.end == start and last.layer == name:
            needs[-1] = Need(last.start, end, name, last.candidates)
        else:
            needs.append(Need(start, end, name, _distinct(layer.participants)))
    return tuple(needs)


def needs_always(
    participants: Sequence[Participant], since: datetime, until: datetime
) -> tuple[Need, ...]:
    """Return one need: every hour of [since, until), anyone of `participants`."""
    keys = tuple(participant.key for participant in participants)
    return (Need(since, until, "Always", keys),)


def baseline_shifts(layers: Sequence[Layer], since: datetime, until: datetime) -> tuple[Shift, ...]:
    """Return plain round-robin of the same layers over [since, until), without overrides."""
    return tuple(final_shifts(Rota(layers=tuple(layers)), since, until))


def loads_of(shifts: Sequence[Shift], participants: Sequence[Participant]) -> dict[PersonKey, Load]:
    """Return each participant's load over `shifts`, on their own wall clock and holidays."""
    intervals: dict[PersonKey, list] = {participant.key: [] for participant in participants}
    for shift in shifts:
        if shift.person in intervals:
            intervals[shift.person].append((shift.start, shift.end))
    return {
        participant.key: load_of(
            intervals[participant.key],
            time_zone=participant.time_zone,
            holidays=participant.holidays,
        )
        for participant in participants
    }


def _merged(pieces: Sequence[Shift]) -> list[tuple[datetime, datetime]]:
    """Return the instants a layer is active as sorted, disjoint [start, end) intervals."""
    merged: list[tuple[datetime, datetime]] = []
    for piece in sorted(pieces, key=lambda piece: piece.start):
        if merged and piece.start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], piece.end))
        else:
            merged.append((piece.start, piece.end))
    return merged


def _covers(intervals: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    index = bisect_right(intervals, (start, _LAST)) - 1
    return index >= 0 and intervals[index][0] <= start and end <= intervals[index][1]


def _distinct(keys) -> tuple[PersonKey, ...]:
    return tuple(dict.fromkeys(keys))
