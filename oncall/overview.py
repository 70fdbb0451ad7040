"""Who is on call, for the dashboard: every schedule now and next, its next days drawn as a
timeline, the gaps, and the viewer's own next shift."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet

from oncall import selectors
from oncall.models import Person, Schedule
from oncall.timeline import timeline_build

OVERVIEW_DAYS = 14


@dataclass(frozen=True)
class MyShift:
    """The viewer's current or next shift: `now` when it has started."""

    schedule: Schedule
    start: datetime
    end: datetime
    now: bool


def oncall_overview(
    *,
    person: Person | None,
    now: datetime,
    days: int = OVERVIEW_DAYS,
    schedules: QuerySet[Schedule] | None = None,
) -> dict:
    """Return the dashboard's on-call part for `schedules` (default all): `summaries`,
    `timelines`, the `gapped` ones, and `my_shift` (None when the viewer has no shift in the
    next `days`)."""
    end = now + timedelta(days=days)
    summaries, shifts = selectors.oncall_board(at=now, until=end, schedules=schedules)
    # A viewer with an on-call profile sees times in their zone; anyone else in each schedule's.
    timelines = timeline_build(
        summaries=summaries,
        shifts=shifts,
        start=now,
        end=end,
        time_zone=person.time_zone if person else None,
    )
    return {
        "now": now,
        "days": days,
        "summaries": summaries,
        "timelines": timelines,
        "gapped": [timeline for timeline in timelines if timeline.first_gap],
        "my_shift": my_shift(person=person, shifts=shifts, now=now),
    }


def my_shift(*, person: Person | None, shifts: dict, now: datetime) -> MyShift | None:
    """Return `person`'s shift going on at `now` or the next to start, from `shifts`."""
    if person is None:
        return None
    mine = [
        (shift.start, schedule.name, schedule, shift)
        for schedule, pieces in shifts.items()
        for shift in pieces
        if shift.person is not None and shift.person.pk == person.pk and shift.end > now
    ]
    if not mine:
        return None
    _, _, schedule, shift = min(mine, key=lambda found: found[:2])
    return MyShift(schedule=schedule, start=shift.start, end=shift.end, now=shift.start <= now)
