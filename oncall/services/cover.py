"""Writes: asking for cover, taking it, withdrawing it. The first to take a request gets an
override for its span; a trade gives two linked overrides, both or neither. Once the change is
committed, a worker tells whoever it concerns (oncall/cover_notices.py)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from oncall import clock, selectors
from oncall.cover_notices import ASKED, TAKEN, TAKERS, cover_notices_queue
from oncall.models import CoverRequest, Membership, Person, Schedule, TimeOff
from oncall.services._checks import require_aware
from oncall.services.overrides import override_create


class CoverRefused(Exception):
    """The request cannot be taken or withdrawn (taken already, withdrawn, not yours)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@transaction.atomic
def cover_request_create(
    *,
    schedule: Schedule,
    asker: Person,
    start: datetime,
    end: datetime,
    note: str = "",
    trade_with: Person | None = None,
    trade_start: datetime | None = None,
    trade_end: datetime | None = None,
    time_off: TimeOff | None = None,
    created_by=None,
) -> CoverRequest:
    """Ask the team of `schedule` to cover `asker` from `start` to `end` (within their shifts);
    with `trade_with`, offer to cover that teammate from `trade_start` to `trade_end` in return.
    `time_off`: the asker's time off this request is for (withdrawn with it)."""
    require_aware(start=start, end=end, trade_start=trade_start, trade_end=trade_end)
    request = CoverRequest(
        schedule=schedule,
        asker=asker,
        start=start,
        end=end,
        note=note,
        trade_with=trade_with,
        trade_start=trade_start,
        trade_end=trade_end,
        time_off=time_off,
        created_by=created_by,
    )
    errors = _request_errors(request, now=clock.now())
    if errors:
        raise ValidationError(errors)
    request.save()
    transaction.on_commit(lambda: cover_notices_queue(request_id=request.pk, what=ASKED))
    return request


@transaction.atomic
def cover_request_take(*, request: CoverRequest, taker: Person, taken_by=None) -> CoverRequest:
    """Give `taker` the request's span as an override (and, for a trade, the asker theirs).

    One conditional UPDATE (open -> taken) decides who is first; a later taker gets CoverRefused
    naming who took it. A failing override undoes the take: both or neither."""
    if taker.pk == request.asker_id:
        raise CoverRefused("You cannot take your own request; withdraw it instead.")
    if request.is_trade and taker.pk != request.trade_with_id:
        raise CoverRefused(f"This is a trade offered to {request.trade_with}; only they take it.")
    if not Membership.objects.filter(
        person=taker, team_id=request.schedule.team_id, role__in=TAKERS
    ).exists():
        raise CoverRefused("Only a responder or admin of the team can take this shift.")
    now = clock.now()
    if request.end <= now:
        raise CoverRefused("This request's time has passed.")
    won = CoverRequest.objects.filter(pk=request.pk, status=CoverRequest.Status.OPEN).update(
        status=CoverRequest.Status.TAKEN, taken_by=taker, taken_at=now
    )
    if not won:
        request.refresh_from_db()
        raise CoverRefused(_why_closed(request))
    reason = f"Covering for {request.asker} (cover request {request.pk})"
    request.override = override_create(
        schedule=request.schedule,
        person=taker,
        start=request.start,
        end=request.end,
        reason=reason[:200],
        created_by=taken_by,
    )
    if request.is_trade:
        back = f"Trade: covering for {taker} (cover request {request.pk})"
        request.return_override = override_create(
            schedule=request.schedule,
            person=request.asker,
            start=request.trade_start,
            end=request.trade_end,
            reason=back[:200],
            created_by=taken_by,
        )
    # The UPDATE above decided; this save records it (and the overrides) in the audit log.
    request.status, request.taken_by, request.taken_at = CoverRequest.Status.TAKEN, taker, now
    request.save(update_fields=["status", "taken_by", "taken_at", "override", "return_override"])
    transaction.on_commit(lambda: cover_notices_queue(request_id=request.pk, what=TAKEN))
    return request


@transaction.atomic
def cover_request_withdraw(*, request: CoverRequest) -> CoverRequest:
    """Withdraw an open request: nobody can take it any more."""
    won = CoverRequest.objects.filter(pk=request.pk, status=CoverRequest.Status.OPEN).update(
        status=CoverRequest.Status.WITHDRAWN
    )
    if not won:
        request.refresh_from_db()
        raise CoverRefused(_why_closed(request))
    request.status = CoverRequest.Status.WITHDRAWN
    request.save(update_fields=["status"])
    return request


def _why_closed(request: CoverRequest) -> str:
    if request.status == CoverRequest.Status.TAKEN:
        return f"{request.taken_by} took this shift already."
    return "This request was withdrawn."


def _request_errors(request: CoverRequest, *, now: datetime) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if request.end <= request.start:
        errors["end"] = ["End must be after Start."]
    elif request.end <= now:
        errors["end"] = ["This time has passed."]
    elif not _covers(request.schedule, request.asker, request.start, request.end):
        errors["start"] = [
            f"{request.asker} is not on call for {request.schedule} all of this time; "
            "ask for cover within one of your shifts."
        ]
    if request.trade_with is None:
        if request.trade_start or request.trade_end:
            errors["trade_with"] = ["Choose whose shift you cover in return."]
        return errors
    if request.trade_with.pk == request.asker.pk:
        errors["trade_with"] = ["Trade with someone else."]
    elif not Membership.objects.filter(
        person=request.trade_with, team_id=request.schedule.team_id
    ).exists():
        errors["trade_with"] = [f"{request.trade_with} is not a member of the team."]
    if not (request.trade_start and request.trade_end):
        errors["trade_start"] = ["Give the start and end of their shift you cover."]
    elif request.trade_end <= request.trade_start:
        errors["trade_end"] = ["End must be after Start."]
    elif request.trade_end <= now:
        errors["trade_end"] = ["This time has passed."]
    elif "trade_with" not in errors and not _covers(
        request.schedule, request.trade_with, request.trade_start, request.trade_end
    ):
        errors["trade_start"] = [
            f"{request.trade_with} is not on call for {request.schedule} all of this time."
        ]
    return errors


def _covers(schedule: Schedule, person: Person, start: datetime, end: datetime) -> bool:
    shifts = selectors.shifts_between(schedule=schedule, since=start, until=end)
    return bool(shifts) and all(s.person is not None and s.person.pk == person.pk for s in shifts)
