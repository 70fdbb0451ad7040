"""Writes: a person's time off. Entering (or moving) it asks the team to cover every shift of the
person that falls in it, on any schedule: one cover request per shift, for the part inside the
time off and still to come, through the swap flow (which tells the team). Saving again asks
nothing twice; moving it withdraws the requests it opened that no longer fit, and deleting it
withdraws those still open."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction

from oncall import clock, selectors
from oncall.models import CoverRequest, Person, Schedule, TimeOff
from oncall.services._checks import errors_of, only, require_aware
from oncall.services.cover import cover_request_create, cover_request_withdraw

MAX_LENGTH = timedelta(days=366)
TIME_OFF_FIELDS = frozenset({"start", "end", "reason"})
NOTE_LENGTH = 300


@transaction.atomic
def time_off_create(
    *, person: Person, start: datetime, end: datetime, reason: str = "", created_by=None
) -> TimeOff:
    """Record that `person` is away from `start` to `end`, and ask their teams to cover the
    shifts they would have had then."""
    time_off = TimeOff(
        person=person, start=start, end=end, reason=reason.strip(), created_by=created_by
    )
    _validate(time_off)
    time_off.save()
    _cover_ask(time_off, now=clock.now(), created_by=created_by)
    return time_off


@transaction.atomic
def time_off_update(*, time_off: TimeOff, created_by=None, **fields) -> TimeOff:
    """Change the time off's `fields` (start, end, reason), validated whole; the cover requests
    it opened follow it (those that no longer fit are withdrawn, new shifts are asked for)."""
    only(fields, TIME_OFF_FIELDS)
    if isinstance(fields.get("reason"), str):
        fields["reason"] = fields["reason"].strip()
    for name, value in fields.items():
        setattr(time_off, name, value)
    _validate(time_off)
    time_off.save()
    _cover_ask(time_off, now=clock.now(), created_by=created_by)
    return time_off


@transaction.atomic
def time_off_delete(*, time_off: TimeOff) -> None:
    """Delete the time off, withdrawing the cover requests it opened that nobody took yet (a
    taken one stays: someone covers that shift now)."""
    for request in _opened_by(time_off):
        cover_request_withdraw(request=request)
    time_off.delete()


def _validate(time_off: TimeOff) -> None:
    """Refuse (by field) naive times, an end not after the start, more than MAX_LENGTH."""
    require_aware(start=time_off.start, end=time_off.end)
    errors = {}
    try:
        time_off.full_clean(
            exclude={"person", "created_by"}, validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        errors |= errors_of(error)
    if "end" not in errors and time_off.end - time_off.start > MAX_LENGTH:
        errors["end"] = [f"Time off lasts at most {MAX_LENGTH.days} days; enter it in parts."]
    if errors:
        raise ValidationError(errors)


def _opened_by(time_off: TimeOff):
    return CoverRequest.objects.filter(time_off=time_off, status=CoverRequest.Status.OPEN)


def _cover_ask(time_off: TimeOff, *, now: datetime, created_by) -> None:
    """Make the open cover requests of `time_off` match the person's shifts inside it from
    `now` on: keep those that still match, withdraw the rest, and open the missing ones unless
    an open request of the person already covers that span."""
    wanted = _spans_wanted(time_off, now=now)
    for request in _opened_by(time_off):
        key = (request.schedule_id, max(request.start, now), request.end)
        if key in wanted:
            del wanted[key]
        else:
            cover_request_withdraw(request=request)
    note = _note(time_off)
    for (_, start, end), schedule in wanted.items():
        if _asked_already(time_off.person, schedule, start, end):
            continue
        cover_request_create(
            schedule=schedule,
            asker=time_off.person,
            start=start,
            end=end,
            note=note,
            time_off=time_off,
            created_by=created_by,
        )


def _spans_wanted(time_off: TimeOff, *, now: datetime) -> dict[tuple, Schedule]:
    """Return {(schedule id, start, end): schedule} of the person's shifts inside the time off
    from `now` on, one span per shift."""
    since = max(time_off.start, now)
    if time_off.end <= since:
        return {}
    person, until = time_off.person, time_off.end
    shifts = selectors.person_shifts_between(person=person, since=since, until=until)
    return {(schedule.pk, shift.start, shift.end): schedule for schedule, shift in shifts}


def _asked_already(person: Person, schedule: Schedule, start: datetime, end: datetime) -> bool:
    """Whether an open request of `person` on `schedule` already covers [start, end) (one
    they made by hand, or another time off's)."""
    return CoverRequest.objects.filter(
        schedule=schedule,
        asker=person,
        status=CoverRequest.Status.OPEN,
        start__lte=start,
        end__gte=end,
    ).exists()


def _note(time_off: TimeOff) -> str:
    zone = time_off.person.time_zone
    start, end = (
        instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
        for instant in (time_off.start, time_off.end)
    )
    why = f": {time_off.reason}" if time_off.reason else ""
    return f"Time off{why} ({start} to {end}, {zone})"[:NOTE_LENGTH]
