"""Writes: asking for cover, taking it, withdrawing it. The first to take a request gets an
override for its span; a trade gives two linked overrides, both or neither. Whoever it concerns
is told by their first contact method, and the team's Slack channel when it has one, once the
change is committed."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from oncall import clock, selectors
from oncall.channels.base import ChannelError, Message, OutcomeUnknown
from oncall.channels.registry import channel_for
from oncall.channels.slack_blocks import answer_blocks
from oncall.models import CoverRequest, Membership, Person, Schedule
from oncall.notices import _reach
from oncall.pacing import paced_send
from oncall.services._checks import require_aware
from oncall.services.overrides import override_create

log = logging.getLogger(__name__)

# An open request starting this soon is a coming gap the manager should see.
GAP_AHEAD = timedelta(hours=48)
TAKERS = (Membership.Role.RESPONDER, Membership.Role.ADMIN)


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
    created_by=None,
) -> CoverRequest:
    """Ask the team of `schedule` to cover `asker` from `start` to `end` (within their shifts);
    with `trade_with`, offer to cover that teammate from `trade_start` to `trade_end` in return."""
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
        created_by=created_by,
    )
    errors = _request_errors(request, now=clock.now())
    if errors:
        raise ValidationError(errors)
    request.save()
    transaction.on_commit(lambda: _tell_asked(request))
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
    transaction.on_commit(lambda: _tell_taken(request))
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


# Telling people


def _when(at: datetime, person: Person) -> str:
    local = at.astimezone(ZoneInfo(person.time_zone))
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def _span(start: datetime, end: datetime, person: Person) -> str:
    return f"{_when(start, person)} to {_when(end, person)} ({person.time_zone} time)"


def _link(request: CoverRequest) -> str:
    return settings.PUBLIC_URL + reverse("oncall:cover-detail", args=[request.pk])


def _asked_text(request: CoverRequest, reader: Person) -> str:
    text = (
        f"Plantao: {request.asker} asks for cover on {request.schedule.name}, "
        f"{_span(request.start, request.end, reader)}."
    )
    if request.is_trade:
        text += f" A trade: they cover you {_span(request.trade_start, request.trade_end, reader)}."
    if request.note:
        text += f' "{request.note}"'
    return f"{text} {_link(request)}"


def _tell_asked(request: CoverRequest) -> None:
    """Tell the teammates who may take it (for a trade, the one it is offered to)."""
    if request.is_trade:
        readers = [request.trade_with]
    else:
        readers = Person.objects.filter(
            memberships__team_id=request.schedule.team_id, memberships__role__in=TAKERS
        ).exclude(pk=request.asker_id)
    _tell_each(request, "asked", readers, lambda reader: _asked_text(request, reader))
    utc = ZoneInfo("UTC")
    _tell_team(
        request,
        "asked",
        f"{request.asker} asks for cover on {request.schedule.name}, "
        f"{request.start.astimezone(utc):%a %d %b %H:%M} to "
        f"{request.end.astimezone(utc):%a %d %b %H:%M} UTC: {_link(request)}",
    )


def _tell_taken(request: CoverRequest) -> None:
    """Tell the asker and the taker that it is settled."""
    asker, taker = request.asker, request.taken_by
    _tell_each(
        request,
        "taken",
        [asker],
        lambda reader: (
            f"Plantao: {taker} takes your {request.schedule.name} shift, "
            f"{_span(request.start, request.end, reader)}."
            + (
                f" You cover theirs, {_span(request.trade_start, request.trade_end, reader)}."
                if request.is_trade
                else ""
            )
        ),
    )
    _tell_each(
        request,
        "yours",
        [taker],
        lambda reader: (
            f"Plantao: you are on call for {request.schedule.name} for {asker}, "
            f"{_span(request.start, request.end, reader)}."
        ),
    )
    _tell_team(request, "taken", f"{taker} covers {asker} on {request.schedule.name}.")


def _tell_each(request: CoverRequest, what: str, readers: Iterable[Person], text) -> None:
    for reader in readers:
        method = _reach(reader)
        if method is None:
            continue
        body = text(reader)
        _send(
            Message(
                f"cover-{request.pk}-{what}-{reader.pk}",
                method.kind,
                method.address,
                body[:60],
                body,
                link=_link(request),
            ),
            channel=channel_for(method.kind),
        )


def _tell_team(request: CoverRequest, what: str, text: str) -> None:
    channel_id = request.schedule.team.slack_channel
    if not channel_id:
        return
    channel = channel_for("slack")
    post = getattr(channel, "post", None)
    if post is not None:  # the real Slack: a post in the channel, not a direct message
        try:
            post(channel=channel_id, text=text, blocks=answer_blocks(text, number=None))
        except (ChannelError, OutcomeUnknown) as error:
            log.warning("cover request %s not posted to Slack: %s", request.pk, error)
        return
    _send(
        Message(f"cover-{request.pk}-{what}-team", "slack", channel_id, text[:60], text),
        channel=channel,
    )


def _send(message: Message, *, channel) -> None:
    try:
        paced_send(channel, message)
    except (ChannelError, OutcomeUnknown) as error:
        log.warning("cover notice %s not sent: %s", message.reference, error)
