"""Handoff summaries: when the on-call person of a schedule changes (into or out of a gap too),
one short post to its team's Slack channel: who handed over to whom, until when, in the
schedule's zone, and the next gap within a day.

The scheduler runs handoffs_summarise every minute, with the on-call notices; each summary is
recorded (unique per schedule and handoff) before it goes, so several schedulers post it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from oncall import selectors
from oncall.channels.base import ChannelError, OutcomeUnknown
from oncall.channels.registry import slack_channel, slack_configured
from oncall.channels.slack_blocks import answer_blocks, escape
from oncall.models import HandoffSummary, Person, Schedule
from oncall.notices import LATE  # a handoff missed by a stopped scheduler is summarised this late

log = logging.getLogger(__name__)

GAP_AHEAD = timedelta(hours=24)  # how far ahead the summary looks for the next gap
SHIFT_HORIZON = selectors.NEXT_HORIZON  # how far ahead the new shift's end is looked for
NOBODY = "nobody"


@dataclass(frozen=True)
class Handoff:
    """The on-call person of `schedule` changed at `at` (None: a gap, nobody on call)."""

    schedule: Schedule
    at: datetime
    outgoing: Person | None
    incoming: Person | None


def _local(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z")


def handoff_text(
    *,
    schedule: str,
    zone: str,
    outgoing: str | None,
    incoming: str | None,
    until: datetime | None,
    then: str | None,
    next_gap: tuple[datetime, datetime | None] | None,
) -> str:
    """Return the summary of a handoff, in Slack mrkdwn, times in the schedule's `zone`.

    `outgoing` and `incoming` are display names (None: a gap); `until` is when the incoming
    stretch ends (None: not within SHIFT_HORIZON), `then` who comes on after a gap, `next_gap`
    the next gap within GAP_AHEAD as (start, end), its end None when not within the horizon.
    """
    name = escape(schedule)
    lines = [f"*{name}* handoff: {escape(outgoing or NOBODY)} → {escape(incoming or NOBODY)}"]
    end = f"until {_local(until, zone)}" if until else f"for more than {SHIFT_HORIZON.days} days"
    if incoming is not None:
        lines.append(f"{escape(incoming)} is on call {end}.")
    else:
        following = f", then {escape(then)}" if then and until else ""
        lines.append(f"{name} is uncovered: nobody is on call {end}{following}.")
    if next_gap is None:
        other = "other " if incoming is None else ""
        lines.append(f"No {other}gaps in the next 24 h.")
    elif next_gap[1] is None:
        lines.append(f"Next gap: from {_local(next_gap[0], zone)}.")
    else:
        lines.append(f"Next gap: {_local(next_gap[0], zone)} to {_local(next_gap[1], zone)}.")
    return "\n".join(lines)


def handoffs_due(*, now: datetime) -> list[Handoff]:
    """Return the handoffs in (now - LATE, now] of the schedules whose team has a channel."""
    shifts = selectors.schedule_shifts(
        since=now - LATE,
        until=now + timedelta(minutes=1),  # so that a handoff at `now` has a shift after it
        schedules=Schedule.objects.exclude(team__slack_channel=""),
    )
    return [
        Handoff(schedule, after.start, before.person, after.person)
        for schedule, pieces in shifts.items()
        # Neighbouring shifts always differ in person: each boundary is a handoff.
        for before, after in pairwise(pieces)
        if now - LATE < after.start <= now
    ]


def _summary(handoff: Handoff) -> str:
    """Build the handoff's text from the schedule's shifts from the handoff on."""
    horizon = handoff.at + SHIFT_HORIZON
    ahead = selectors.shifts_between(schedule=handoff.schedule, since=handoff.at, until=horizon)
    current, later = ahead[0], ahead[1:]
    gap = next((s for s in later if s.person is None and s.start < handoff.at + GAP_AHEAD), None)
    return handoff_text(
        schedule=handoff.schedule.name,
        zone=handoff.schedule.time_zone,
        outgoing=handoff.outgoing and handoff.outgoing.display_name,
        incoming=handoff.incoming and handoff.incoming.display_name,
        until=current.end if current.end < horizon else None,
        then=later[0].person.display_name if later and later[0].person else None,
        next_gap=gap and (gap.start, gap.end if gap.end < horizon else None),
    )


def handoffs_summarise(*, now: datetime) -> int:
    """Post the summary of each handoff due now to its team's channel; return how many went."""
    if not slack_configured():
        return 0
    return sum(_post(handoff, now) for handoff in handoffs_due(now=now))


def _post(handoff: Handoff, now: datetime) -> int:
    schedule = handoff.schedule
    # Each handoff is seen by every run for LATE: skip the recorded ones before the rota work.
    if HandoffSummary.objects.filter(schedule=schedule, at=handoff.at).exists():
        return 0
    text = _summary(handoff)
    try:
        with transaction.atomic():
            summary = HandoffSummary.objects.create(
                schedule=schedule,
                at=handoff.at,
                outgoing=handoff.outgoing,
                incoming=handoff.incoming,
                channel=schedule.team.slack_channel,
                sent_at=now,
            )
    except IntegrityError:
        return 0  # posted already, by this scheduler or another
    try:
        slack_channel().post(
            channel=summary.channel, text=text, blocks=answer_blocks(text, number=None)
        )
    except OutcomeUnknown as error:
        log.warning("handoff summary %s may or may not be posted: %s", summary.pk, error)
        return 0
    except ChannelError as error:
        log.warning("handoff summary %s not posted: %s", summary.pk, error.reason)
        if error.retryable:
            # Surely not posted: free it for the next run, which tries again while within LATE.
            HandoffSummary.objects.filter(pk=summary.pk).delete()
        return 0
    return 1
