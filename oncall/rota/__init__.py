"""Who is on call: the pure rules of layered rotations, restrictions and overrides.

No Django here, and no clock: every function takes the instants it needs. People are opaque,
hashable keys (the models pass primary keys).

Time, exactly:

- Every datetime in or out is timezone-aware (a naive one is a RotaError); results are in UTC.
  Every interval is [start, end): it includes its start and excludes its end.
- HOURS turns are elapsed time: turn k is [handoff + k*n hours, handoff + (k+1)*n hours).
- DAYS and WEEKS turns are wall-clock time in the layer's zone: turn k starts on the handoff's
  local date plus k*n days (or weeks), at the handoff's local time of day, so a 09:00 handoff
  stays at 09:00 across DST. A local time that does not exist or happens twice resolves with the
  handoff's own fold (0 unless the handoff itself is in a repeated hour), so turn 0 starts
  exactly at `handoff`. Turns never overlap; a turn whose local day never happened (Samoa
  skipped 2011-12-30) is empty, so its participant misses that turn.
- Participant of turn k is participants[k % len(participants)], for negative k too.
- Restrictions only mask the rotation (as in PagerDuty): a window opens at its local start and
  closes at local start + duration (wall clock), both resolved with fold=0; whoever's turn
  contains the instant is on call while some window is open.
"""

from .model import (
    Layer,
    Override,
    PersonKey,
    Restriction,
    RestrictionKind,
    Rota,
    RotaError,
    Shift,
    TurnUnit,
)
from .queries import (
    final_shifts,
    gaps,
    layer_on_call_at,
    layer_shifts,
    next_shift_after,
    on_call_at,
    shift_at,
    validate,
)

__all__ = [
    "Layer",
    "Override",
    "PersonKey",
    "Restriction",
    "RestrictionKind",
    "Rota",
    "RotaError",
    "Shift",
    "TurnUnit",
    "final_shifts",
    "gaps",
    "layer_on_call_at",
    "layer_shifts",
    "next_shift_after",
    "on_call_at",
    "shift_at",
    "validate",
]
