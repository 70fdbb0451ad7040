"""Reminders of overdue action items: each owner hears of theirs by the way they chose to be
reached first, at most once a day of theirs, and only in their business hours (09:00 to 18:00,
Monday to Friday, in their own time zone).

The scheduler runs action_item_reminders_send every 15 minutes. Each item is claimed before it
is told (ActionItem.reminded_at set with a conditional update), so of several schedulers
running at once only one reminds of it, and the owner gets one text; a send that fails gives
its claim back.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from incidents.models import ActionItem
from incidents.render import gsm7
from oncall.channels.base import ChannelError, Message, OutcomeUnknown
from oncall.channels.registry import channel_for
from oncall.models import ContactMethod, Person
from oncall.notices import reach
from oncall.pacing import paced_send

log = logging.getLogger(__name__)

WORK_STARTS, WORK_ENDS = time(9), time(18)
WORKDAYS = range(0, 5)  # Monday to Friday
# No zone is more than 14 hours ahead of UTC: a day that has begun anywhere began by then.
AHEAD_OF_UTC = timedelta(hours=14)
# Two reminders a local day apart are at least this far apart (18:00 to 09:00 the next day, an
# hour less across a change of clocks), so items told more recently are not even read.
SHORTEST_GAP = timedelta(hours=12)
LISTED = 3  # items named in one text; the rest are counted


def in_business_hours(local: datetime) -> bool:
    """Return whether the local instant is a working hour of a working day."""
    return local.weekday() in WORKDAYS and WORK_STARTS <= local.time() < WORK_ENDS


def day_start(local: datetime) -> datetime:
    """Return the instant the local day of `local` began (in its zone)."""
    return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)


def reminder_due(item: ActionItem, *, now: datetime) -> bool:
    """Return whether the owner of `item` should hear of it now: it is past its day in their
    zone, it is their business hours, and they were not told of it today."""
    local = now.astimezone(ZoneInfo(item.owner.time_zone))
    if item.due_on is None or item.due_on >= local.date() or not in_business_hours(local):
        return False
    return item.reminded_at is None or item.reminded_at < day_start(local)


def overdue_candidates(*, now: datetime):
    """Return the items that may be due a reminder somewhere on Earth now (the exact rule is
    reminder_due, per owner's zone)."""
    latest_day = (now + AHEAD_OF_UTC).date()
    return (
        ActionItem.objects.filter(
            status__in=ActionItem.NOT_DONE, due_on__lt=latest_day, owner__isnull=False
        )
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=now - SHORTEST_GAP))
        .select_related("owner", "postmortem")
        .order_by("owner_id", "due_on", "id")
    )


def _claim(item: ActionItem, *, now: datetime) -> bool:
    """Mark `item` reminded now unless another sweep did since it was read; True if this one
    did. (reminded_at is not a setting anyone edits: the audit log does not record it.)"""
    unchanged = (
        Q(reminded_at__isnull=True) if item.reminded_at is None else Q(reminded_at=item.reminded_at)
    )
    return bool(ActionItem.objects.filter(unchanged, pk=item.pk).update(reminded_at=now))


def _claim_all(items: list[ActionItem], *, now: datetime) -> list[ActionItem]:
    """Claim the owner's items together, return those this sweep claimed. The rows are locked
    first, so a sweep running at the same time waits and then finds them claimed: the owner
    gets one text, not two halves."""
    with transaction.atomic():
        locked = ActionItem.objects.select_for_update().filter(pk__in=[i.pk for i in items])
        list(locked.order_by("pk").values_list("pk", flat=True))
        return [item for item in items if _claim(item, now=now)]


def _release(items: list[ActionItem], *, now: datetime) -> None:
    """Give back the claims of items whose reminder did not go, so a later sweep tries again."""
    for item in items:
        ActionItem.objects.filter(pk=item.pk, reminded_at=now).update(reminded_at=item.reminded_at)


def _day(due: date) -> str:
    return f"{due:%a} {due.day} {due:%b}"


def reminder_text(items: list[ActionItem], *, link: str) -> str:
    """Return the text that tells an owner of their overdue items, the oldest first."""
    if len(items) == 1:
        item = items[0]
        return (
            f'Plantao: your action item "{item.title}" from the postmortem '
            f'"{item.postmortem.title}" was due {_day(item.due_on)}. {link}'
        )
    named = "; ".join(f'"{item.title}" (due {_day(item.due_on)})' for item in items[:LISTED])
    more = f" and {len(items) - LISTED} more" if len(items) > LISTED else ""
    return f"Plantao: {len(items)} of your action items are overdue: {named}{more}. {link}"


def _link(items: list[ActionItem]) -> str:
    postmortems = {item.postmortem_id for item in items}
    if len(postmortems) == 1:
        return f"{settings.PUBLIC_URL}/postmortems/{postmortems.pop()}/"
    return f"{settings.PUBLIC_URL}/postmortems/"


def _tell(owner: Person, items: list[ActionItem], *, now: datetime) -> bool:
    method = reach(owner)
    if method is None:
        return False
    claimed = _claim_all(items, now=now)
    if not claimed:
        return False
    link = _link(claimed)
    text = reminder_text(claimed, link=link)
    if method.kind == ContactMethod.Kind.SMS:  # titles people typed: GSM-7 only, one alphabet
        text = gsm7(text)
    reference = f"action-items-{owner.pk}-{now:%Y%m%dT%H%M%S}"
    message = Message(reference, method.kind, method.address, text[:60], text, link=link)
    try:
        paced_send(channel_for(method.kind), message)
    except (ChannelError, OutcomeUnknown) as error:
        log.warning("action item reminder %s not sent: %s", reference, error)
        if not isinstance(error, OutcomeUnknown):  # it may have gone: never tell twice
            _release(claimed, now=now)
        return False
    return True


def action_item_reminders_send(*, now: datetime) -> int:
    """Remind every owner whose action items are overdue and who is at work now; return how
    many owners were told."""
    due: dict[int, list[ActionItem]] = defaultdict(list)
    owners: dict[int, Person] = {}
    for item in overdue_candidates(now=now):
        if reminder_due(item, now=now):
            due[item.owner_id].append(item)
            owners[item.owner_id] = item.owner
    return sum(_tell(owners[owner_id], items, now=now) for owner_id, items in due.items())
