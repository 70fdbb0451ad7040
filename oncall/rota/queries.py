"""The questions a rota answers: who is on call, the shifts, the gaps, who is next."""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timedelta

from .evaluation import _CompiledLayer, _flatten, compiled
from .instants import _instant, _range, _shift, _utc
from .model import (
    Layer,
    PersonKey,
    Rota,
    RotaError,
    Shift,
    _check_layer,
    _check_override,
    _check_parts,
)

# --- Public functions ---------------------------------------------------------------------------


def validate(rota: Rota) -> None:
    """Raise RotaError naming the first problem found in `rota`, or return None if it is sound.

    Construction already validates; this re-checks objects that bypassed __init__ (unpickled).
    """
    _check_parts(rota)
    for layer in rota.layers:
        _check_layer(layer)
    for override in rota.overrides:
        _check_override(override)


def layer_on_call_at(layer: Layer, at: datetime) -> PersonKey | None:
    """Return whose turn it is in `layer` at `at`, or None where the layer is inactive."""
    return _CompiledLayer(layer).person_at(at, _instant(at, "at"))


def on_call_at(rota: Rota, at: datetime) -> PersonKey | None:
    """Return who is on call at `at`: the winning override, else the highest active layer."""
    t = _instant(at, "at")
    program = compiled(rota)
    i = bisect_right(program.override_starts, t) - 1
    if i >= 0 and t < program.override_ends[i]:
        return program.override_people[i]
    for layer in program.layers_highest_first:
        person = layer.person_at(at, t)
        if person is not None:
            return person
    return None


def layer_shifts(layer: Layer, since: datetime, until: datetime) -> list[Shift]:
    """Return the active pieces of `layer`'s turns within [since, until), in order.

    One Shift per turn, or per open window of a turn when the layer has restrictions; pieces of
    consecutive turns are not merged, even when the same person takes both.
    """
    lo, hi = _range(since, until)
    return [_shift(piece) for piece in _CompiledLayer(layer).pieces(lo, hi)]


def final_shifts(rota: Rota, since: datetime, until: datetime) -> list[Shift]:
    """Return who is on call over [since, until): contiguous segments covering it exactly.

    Segments are sorted and never overlap; person None marks a gap, and neighbours always differ.
    """
    lo, hi = _range(since, until)
    if lo == hi:
        return []
    program = compiled(rota)
    tiers = [program.overrides_between(lo, hi)]
    tiers += [layer.pieces(lo, hi) for layer in program.layers_highest_first]
    return [_shift(piece) for piece in _flatten(tiers, lo, hi)]


def shift_at(rota: Rota, at: datetime, horizon: timedelta = timedelta(days=60)) -> Shift:
    """Return the segment of the final schedule that contains `at` (person None in a gap).

    Its end is clipped to `at + horizon` when the segment runs on beyond it.
    """
    for segments, last_window in _windows_from(rota, at, horizon):
        if len(segments) > 1 or last_window:
            return segments[0]
    raise AssertionError("unreachable: the last window always answers")


def next_shift_after(
    rota: Rota, at: datetime, horizon: timedelta = timedelta(days=60)
) -> Shift | None:
    """Return the first segment after `at` whose person is someone other than who is on at `at`.

    Gaps are skipped: the answer is who is next, not when the current person stops (that is
    shift_at(rota, at).end). Looks no further than `at + horizon`, which also clips the end of
    the returned Shift. None if nobody else comes on within the horizon.
    """
    for segments, last_window in _windows_from(rota, at, horizon):
        current = segments[0].person
        for index, segment in enumerate(segments[1:], start=1):
            if segment.person is not None and segment.person != current:
                # A segment cut by the window's end may run on: widen the window to see it whole.
                if index < len(segments) - 1 or last_window:
                    return segment
                break
        if last_window:
            return None
    raise AssertionError("unreachable: the last window always answers")


_FIRST_WINDOW = timedelta(days=1)


def _windows_from(rota: Rota, at: datetime, horizon: timedelta):
    """Yield (final shifts from `at` over a growing window, whether it reached the horizon).

    Most questions about "now" are answered within a day; rendering 60 days for each would cost
    a hundred times more.
    """
    if horizon <= timedelta(0):
        raise RotaError(f"horizon must be positive, got {horizon}")
    start = _utc(_instant(at, "at"))  # horizon is elapsed time, whatever the zone of `at`
    window = min(_FIRST_WINDOW, horizon)
    while True:
        yield final_shifts(rota, start, start + window), window == horizon
        window = min(window * 4, horizon)


def gaps(rota: Rota, since: datetime, until: datetime) -> list[Shift]:
    """Return the segments of [since, until) when nobody is on call."""
    return [segment for segment in final_shifts(rota, since, until) if segment.person is None]
