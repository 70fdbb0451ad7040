"""Check a person's rest: after a sent sleep-hours page (a task queued on commit) and in the
sweep. A "page" here is a notification round, a distinct (incident, step, loop): an SMS and the
call after it wake someone once."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from incidents.models import Incident, Page, RestNotice, RestOffer
from incidents.rest.nights import SleepPage, nights_woken, rounds_by_night, week_of
from incidents.rest.notices import rest_notice_create, rest_notice_deliver, rest_notices_due
from incidents.rest.offers import rest_offer_open
from incidents.services.doorbell import REST_CHECK, ring_now
from oncall import fatigue
from oncall.models import Membership, Person, Team

log = logging.getLogger(__name__)

# The nights checked are those of the sleep-hours pages sent this long before now: a whole
# night (at most 11 hours, when the clocks go back) fits, so the sweep misses none.
LOOKBACK = timedelta(hours=12)
PROTECTING = Q(rest_after_sleep_pages__isnull=False) | Q(rest_notice_nights__isnull=False)


@dataclass
class RestCheck:
    """What one check did."""

    offers: list[RestOffer] = field(default_factory=list)
    notices: list[RestNotice] = field(default_factory=list)


def rest_check_queue(*, person_id: int) -> None:
    """On commit, have a worker check the rest of `person_id`, if a team of theirs protects it."""
    rest_checks_queue(person_ids=[person_id])


def rest_checks_queue(*, person_ids: list[int]) -> None:
    """Do rest_check_queue for each of `person_ids`, in order (one check for each sleep-hours
    page): one query whatever their number."""
    if not person_ids:
        return
    protected = set(
        Membership.objects.filter(
            Q(team__rest_after_sleep_pages__isnull=False)
            | Q(team__rest_notice_nights__isnull=False),
            person_id__in=set(person_ids),
        ).values_list("person_id", flat=True)
    )
    for person_id in person_ids:
        if person_id in protected:
            transaction.on_commit(functools.partial(_ring, person_id))


def _ring(person_id: int) -> None:
    try:
        ring_now(REST_CHECK, person_id)
    except Exception as error:  # noqa: BLE001 - the page went; the sweep checks them instead
        log.warning("rest check of person %s not queued: %s", person_id, error)


def _sleep_pages(person: Person, since: datetime, until: datetime) -> list[SleepPage]:
    rows = Page.objects.filter(
        person=person,
        incident__kind=Incident.Kind.REAL,  # a rehearsal or a test page woke nobody for real
        interruption=Page.Interruption.SLEEP,
        sent_at__gte=since,
        sent_at__lte=until,
    ).values_list("sent_at", "incident_id", "step", "loop")
    return [SleepPage(at, (incident, step, loop)) for at, incident, step, loop in rows]


def rest_protection_check(*, person_id: int, now: datetime) -> RestCheck:
    """Offer the person's next night on call to each protecting team if a recent night woke
    them N times or more, and tell a team's manager if K of their last 7 nights woke them."""
    done = RestCheck()
    person = Person.objects.filter(pk=person_id).first()
    teams = list(Team.objects.filter(PROTECTING, memberships__person_id=person_id))
    if person is None or not teams:
        return done
    recent = rounds_by_night(_sleep_pages(person, now - LOOKBACK, now), person.time_zone)
    if not recent:
        return done
    latest = max(recent)
    first = min(min(recent), week_of(latest)[0])
    since, _ = fatigue.night_window(first, person.time_zone)
    _, until = fatigue.night_window(latest, person.time_zone)
    # Each recent night counted whole, and the week before the latest.
    counts = rounds_by_night(_sleep_pages(person, since, min(until, now)), person.time_zone)
    for team in teams:
        wake_limit = team.rest_after_sleep_pages
        for night in sorted(recent):
            if wake_limit is not None and counts.get(night, 0) >= wake_limit:
                offer = rest_offer_open(
                    person=person, team=team, night=night, sleep_pages=counts[night], now=now
                )
                if offer is not None:
                    done.offers.append(offer)
        woken = nights_woken(counts, last=latest)
        if team.rest_notice_nights is not None and woken >= team.rest_notice_nights:
            notice = rest_notice_create(
                person=person, team=team, night=latest, nights_woken=woken, now=now
            )
            if notice is not None:
                done.notices.append(notice)
                rest_notice_deliver(notice=notice, now=now)
    return done


def rest_protection_sweep(*, now: datetime) -> RestCheck:
    """Check everyone in a protecting team woken within LOOKBACK, and send the managers' notices
    that waited for their morning (or for a lost ring)."""
    done = RestCheck()
    woken = (
        Page.objects.filter(
            interruption=Page.Interruption.SLEEP,
            incident__kind=Incident.Kind.REAL,
            sent_at__gte=now - LOOKBACK,
            sent_at__lte=now,
            person__memberships__team__in=Team.objects.filter(PROTECTING),
        )
        .values_list("person_id", flat=True)
        .distinct()
    )
    for person_id in sorted(set(woken)):
        checked = rest_protection_check(person_id=person_id, now=now)
        done.offers += checked.offers
        done.notices += checked.notices
    for notice in rest_notices_due(now=now):
        rest_notice_deliver(notice=notice, now=now)
    return done
