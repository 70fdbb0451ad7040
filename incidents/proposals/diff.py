"""Which overrides make a schedule say what a proposal says: the pure difference.

No Django here. Shifts carry person keys; a proposed shift of person None (uncovered) asks for
nothing. Each proposed run of one person that differs anywhere from the current final schedule
becomes ONE override, from its first differing hour to its last, so an hour inside it where the
layers already say the same person is simply covered twice: fewer overrides, same schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from oncall.rota import Shift


def overrides_needed(
    proposed: Sequence[Shift], current: Sequence[Shift], *, not_before: datetime
) -> list[Shift]:
    """Return the overrides that turn `current` into `proposed` from `not_before` on.

    `current` is the final schedule (gaps as person None) covering every proposed shift, sorted.
    """
    needed = []
    for run in _runs(proposed):
        start, end = max(run.start, not_before), run.end
        differ = [
            (max(piece.start, start), min(piece.end, end))
            for piece in current
            if piece.end > start and piece.start < end and piece.person != run.person
        ]
        if start < end and differ:
            needed.append(Shift(differ[0][0], max(b for _, b in differ), run.person))
    return needed


def _runs(proposed: Sequence[Shift]) -> list[Shift]:
    """Merge touching shifts of the same person; drop the uncovered ones."""
    runs: list[Shift] = []
    for shift in sorted(proposed, key=lambda s: s.start):
        if shift.person is None:
            continue
        if runs and runs[-1].person == shift.person and runs[-1].end == shift.start:
            runs[-1] = Shift(runs[-1].start, shift.end, shift.person)
        else:
            runs.append(shift)
    return runs
