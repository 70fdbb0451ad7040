"""Writes: tell a team's manager that someone has been woken on K of the last 7 nights, at most
once per person and team in 7 nights. The RestNotice row is the record (unique per person, team
and night); it goes to the manager by e-mail or Slack if they have either verified, else the way
they chose to be reached first (oncall.notices.reach), and never in the manager's own sleep
hours: then it waits for the sweep of their morning. A conditional UPDATE claims it, so it goes
once whoever sends it."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from incidents.models import RestNotice
from incidents.rest.nights import WEEK_NIGHTS
from incidents.rest.offers import night_name
from oncall import fatigue
from oncall.channels.base import ChannelError, Message, OutcomeUnknown
from oncall.channels.registry import channel_for
from oncall.models import ContactMethod, Person, Team
from oncall.notices import reach
from oncall.pacing import paced_send

log = logging.getLogger(__name__)

# A notice its manager could not be sent for this long (no contact method) is let go.
STALE = timedelta(days=2)
QUIET_KINDS = (ContactMethod.Kind.EMAIL, ContactMethod.Kind.SLACK)


def rest_notice_create(
    *, person: Person, team: Team, night: date, nights_woken: int, now: datetime
) -> RestNotice | None:
    """Record that `team`'s manager is to be told `person` was woken on `nights_woken` of the
    nights up to `night`; None if they were told within the last 7 nights, or the team has no
    manager (or manages itself)."""
    if team.manager_id is None or team.manager_id == person.pk:
        return None
    told = RestNotice.objects.filter(
        person=person, team=team, night__gt=night - timedelta(days=WEEK_NIGHTS)
    )
    if told.exists():
        return None
    try:
        with transaction.atomic():
            return RestNotice.objects.create(
                person=person,
                team=team,
                night=night,
                nights_woken=nights_woken,
                manager_id=team.manager_id,
                created_at=now,
            )
    except IntegrityError:
        return None  # recorded already, by another check at the same moment


def _method(manager: Person) -> ContactMethod | None:
    """E-mail or Slack if verified (a notice need not ring a phone), else how they chose."""
    quiet = {
        m.kind: m
        for m in ContactMethod.objects.filter(
            person=manager, kind__in=QUIET_KINDS, verified_at__isnull=False
        ).order_by("-id")
    }
    return next((quiet[kind] for kind in QUIET_KINDS if kind in quiet), None) or reach(manager)


def notice_text(notice: RestNotice) -> str:
    return (
        f"Plantao: {notice.person.display_name} ({notice.team.name}) has been woken by pages on "
        f"{notice.nights_woken} of the last {WEEK_NIGHTS} nights, the latest the night of "
        f"{night_name(notice.night)}. Rest protection tells you at most once a week."
    )


def rest_notice_deliver(*, notice: RestNotice, now: datetime) -> bool:
    """Send the notice to the manager now, unless it is their sleep hours or it went already;
    return whether it went."""
    manager = notice.manager
    if manager is None:
        return False
    _, interruption = fatigue.interruption_at(now, manager.time_zone)
    if interruption is fatigue.Interruption.SLEEP:
        return False  # the sweep sends it in their morning
    method = _method(manager)
    if method is None:
        return False
    if not RestNotice.objects.filter(pk=notice.pk, sent_at__isnull=True).update(sent_at=now):
        return False
    link = settings.PUBLIC_URL.rstrip("/") + reverse("oncall:team-detail", args=[notice.team_id])
    body = f"{notice_text(notice)} {link}"
    subject = f"[Plantao] {notice.person.display_name}: woken on {notice.nights_woken} nights"
    try:
        paced_send(
            channel_for(method.kind),
            Message(f"rest-notice-{notice.pk}", method.kind, method.address, subject, body),
        )
    except (ChannelError, OutcomeUnknown) as error:
        log.warning("rest notice %s not sent: %s", notice.pk, error)
        return False
    return True


def rest_notices_due(*, now: datetime):
    """Return the notices not sent yet and not stale, with what sending them needs."""
    return RestNotice.objects.filter(sent_at=None, created_at__gte=now - STALE).select_related(
        "person", "team", "manager"
    )
