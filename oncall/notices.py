"""On-call notices: "you are on call for Primary from 09:00 (in 1 hour)" before a shift, and
"your shift ended" after it, to each person by the way they asked to be reached first.

The scheduler runs notices_send every minute; each notice is recorded (unique per schedule,
person, shift and kind) before it goes, so several schedulers send it once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from oncall import selectors
from oncall.channels.base import ChannelError, Message, OutcomeUnknown
from oncall.channels.registry import channel_for
from oncall.models import ContactMethod, NotificationRule, Person, Schedule, ShiftNotice
from oncall.pacing import paced_send

log = logging.getLogger(__name__)

AHEAD = timedelta(hours=1)  # the "starting" notice goes this long before the shift
LATE = timedelta(minutes=10)  # a notice missed by a stopped scheduler is still sent this late
SHIFT_HORIZON = timedelta(days=2)


def reach(person: Person) -> ContactMethod | None:
    """The verified method of the person's first high-urgency rule: how they chose to be reached."""
    rule = (
        NotificationRule.objects.filter(
            person=person, urgency="high", contact_method__verified_at__isnull=False
        )
        .select_related("contact_method")
        .order_by("delay_minutes", "id")
        .first()
    )
    return rule.contact_method if rule else None


def _local(at: datetime, person: Person) -> str:
    return at.astimezone(ZoneInfo(person.time_zone)).strftime("%a %H:%M")


def notice_text(*, kind: str, schedule: str, person: Person, start, end, now) -> str:
    if kind == ShiftNotice.Kind.STARTING:
        minutes = max(1, round((start - now).total_seconds() / 60))
        return (
            f"Plantao: you are on call for {schedule} from {_local(start, person)} "
            f"(in {minutes} min) until {_local(end, person)}, your time."
        )
    return f"Plantao: your {schedule} shift ended at {_local(end, person)}. Thank you."


def notices_send(*, now: datetime) -> int:
    """Send the notices due now for every schedule; return how many went out."""
    sent = 0
    # Far enough ahead that a shift starting within the hour is seen whole, with its real end.
    shifts = selectors.schedule_shifts(since=now - LATE, until=now + AHEAD + SHIFT_HORIZON)
    for schedule, pieces in shifts.items():
        for shift in pieces:
            if shift.person is None:
                continue
            if now < shift.start <= now + AHEAD:
                sent += _notify(schedule, shift, ShiftNotice.Kind.STARTING, now)
            if now - LATE < shift.end <= now:
                sent += _notify(schedule, shift, ShiftNotice.Kind.ENDED, now)
    return sent


def _notify(schedule: Schedule, shift, kind: str, now: datetime) -> int:
    person = shift.person
    method = reach(person)
    if method is None:
        return 0
    try:
        with transaction.atomic():
            notice = ShiftNotice.objects.create(
                schedule=schedule,
                person=person,
                kind=kind,
                shift_start=shift.start,
                shift_end=shift.end,
                sent_at=now,
            )
    except IntegrityError:
        return 0  # sent already, by this scheduler or another
    text = notice_text(
        kind=kind, schedule=schedule.name, person=person, start=shift.start, end=shift.end, now=now
    )
    try:
        paced_send(
            channel_for(method.kind),
            Message(f"notice-{notice.pk}", method.kind, method.address, text[:60], text),
        )
    except (ChannelError, OutcomeUnknown) as error:
        log.warning("on-call notice %s not sent: %s", notice.pk, error)
        return 0
    return 1
