"""Cover request notices: teammates told of a request, the asker and taker told it is settled,
each by their first contact method, and the team's Slack channel when it has one. Sent by a
worker once the change is committed, so that a web request does not wait for the providers."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse

from oncall.channels.base import ChannelError, Message, OutcomeUnknown
from oncall.channels.registry import channel_for
from oncall.channels.slack_blocks import answer_blocks
from oncall.models import CoverRequest, Membership, Person
from oncall.notices import reach
from oncall.pacing import paced_send

log = logging.getLogger(__name__)

SEND = "oncall.tasks.cover_notices_send"
ASKED, TAKEN = "asked", "taken"
TAKERS = (Membership.Role.RESPONDER, Membership.Role.ADMIN)


def cover_notices_queue(*, request_id: int, what: str) -> None:
    """Have a worker tell who it concerns that request `request_id` was asked or taken."""
    from oncall.config.celery import app

    try:
        app.send_task(SEND, args=[request_id, what])
    except Exception as error:  # the request is saved; the page shows it whatever happens here
        log.warning("cover request %s notices not queued: %s", request_id, error)


def cover_notices_send(*, request_id: int, what: str) -> None:
    """Tell the teammates of an asked request, or the asker and taker of a taken one."""
    request = (
        CoverRequest.objects.select_related("schedule__team", "asker", "taken_by", "trade_with")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        return
    if what == ASKED:
        _tell_asked(request)
    elif what == TAKEN and request.taken_by is not None:
        _tell_taken(request)


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
        method = reach(reader)
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
