"""Fatigue read from the database: shifts from the schedules, pages from their sent rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.fatigue.figures import PastLoad
from incidents.fatigue.selectors import people_load, team_fatigue
from incidents.models import Page
from oncall import fatigue
from oncall.load import Load
from oncall.models import Layer, LayerMember, Override, Schedule
from oncall.services.people import person_create
from tests.incidents.insights_fixture import incident_at, team_with_service

pytestmark = pytest.mark.django_db

# Saturday and Sunday in Lisbon, across the end of summer time (02:00 WEST -> 01:00 WET on the
# 25th): from 01:00 WEST on Saturday to midnight WET on Monday.
SINCE = datetime(2026, 10, 24, 0, tzinfo=UTC)
UNTIL = datetime(2026, 10, 26, 0, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def sent(incident, person, at, *, step=0, loop=0, rule_id=1, kind="sms", state="sent") -> Page:
    local, interruption = fatigue.interruption_at(at, person.time_zone)
    return Page.objects.create(
        incident=incident,
        step=step,
        loop=loop,
        person=person,
        rule_id=rule_id,
        kind=kind,
        address="+12125550100",
        urgency="high",
        state=state,
        due_at=at,
        created_at=at,
        sent_at=at if state != "pending" else None,
        local_time=local.isoformat(),
        interruption=interruption,
    )


@pytest.fixture
def ops():
    """Ana (Lisbon) is on call all the time on the team's one schedule; Bruno (Singapore) only
    for an override from 01:00 to 03:00 UTC on Sunday (09:00-11:00 there)."""
    service = team_with_service("Payments")
    team = service.team
    ana = person_create(username="ana", display_name="Ana", time_zone="Europe/Lisbon", team=team)
    bruno = person_create(
        username="bruno", display_name="Bruno", time_zone="Asia/Singapore", team=team
    )
    schedule = Schedule.objects.create(name="Payments primary", team=team, time_zone="UTC")
    layer = Layer.objects.create(
        schedule=schedule, name="All week", handoff=utc(2026, 10, 5, 9), time_zone="UTC"
    )
    LayerMember.objects.create(layer=layer, person=ana, position=0)
    Override.objects.create(
        schedule=schedule,
        person=bruno,
        start=utc(2026, 10, 25, 1),
        end=utc(2026, 10, 25, 3),
        created_at=utc(2026, 10, 1),
    )
    first = incident_at(service, utc(2026, 10, 25, 2, 29), name="DiskFull")
    second = incident_at(service, utc(2026, 10, 25, 9, 59), name="HighLatency")
    # One round by SMS then by call, 02:30 and 02:35 WET: one sleep-hours page.
    sent(first, ana, utc(2026, 10, 25, 2, 30))
    sent(first, ana, utc(2026, 10, 25, 2, 35), rule_id=2, kind="voice")
    # The next step at 10:00 on Sunday: off hours.
    sent(first, ana, utc(2026, 10, 25, 10), step=1)
    # Not counted: after the period, and never sent.
    sent(second, ana, utc(2026, 10, 26, 9))
    sent(second, ana, utc(2026, 10, 25, 11), step=2, state="pending")
    # Bruno's own page, at 10:00 in Singapore on Sunday: off hours.
    sent(second, bruno, utc(2026, 10, 25, 2))
    return team, ana, bruno


def test_people_load_counts_shifts_and_notification_rounds(ops):
    _, ana, bruno = ops
    found = people_load(person_ids=[ana.pk, bruno.pk, 10**9], since=SINCE, until=UNTIL)
    # Ana is on call for 48 h, except Bruno's two hours. Her nights (22:00-08:00 Lisbon):
    # Saturday 01:00-08:00 WEST = 7 h; Saturday 22:00 WEST to Sunday 08:00 WET = 11 h (the
    # clocks go back), less Bruno's 01:00-03:00 UTC = 9 h; Sunday 22:00-24:00 WET = 2 h: 18 h.
    # All of it is her weekend; neither day is a Portuguese holiday.
    assert found[ana.pk] == PastLoad(load=Load(46, 18, 46, 0), pages=2, sleep_pages=1)
    # Bruno: 2 h on Sunday morning in Singapore, weekend, not night; one off-hours page.
    assert found[bruno.pk] == PastLoad(load=Load(2, 0, 2, 0), pages=1, sleep_pages=0)
    assert found[10**9] == PastLoad(load=Load(), pages=0, sleep_pages=0)


def test_people_load_takes_a_bounded_number_of_queries(ops):
    _, ana, bruno = ops
    with CaptureQueriesContext(connection) as one:
        people_load(person_ids=[ana.pk], since=SINCE, until=UNTIL)
    with CaptureQueriesContext(connection) as two:
        people_load(person_ids=[ana.pk, bruno.pk], since=SINCE, until=UNTIL)
    assert len(one) == len(two)


def test_team_fatigue_gives_each_member_their_figures_and_the_team_totals(ops):
    team, ana, bruno = ops
    found = team_fatigue(team=team, since=SINCE, until=UNTIL)
    assert [person for person, _ in found.people] == [ana, bruno]
    figures = dict(found.people)
    assert figures[ana].pages == {"sleep": 1, "off": 1, "business": 0}
    assert figures[ana].incidents == {"sleep": 1, "off": 0, "business": 0}
    assert figures[ana].nights_woken == 1
    assert found.total.pages == {"sleep": 1, "off": 2, "business": 0}
    assert found.total.load == Load(48, 18, 48, 0)
    assert found.mean.load == Load(24, 9, 24, 0)
    assert sum(week.score for week in figures[ana].weeks) == pytest.approx(figures[ana].score)
    del bruno


def test_only_the_period_counts(ops):
    _, ana, _ = ops
    later = people_load(person_ids=[ana.pk], since=UNTIL, until=UNTIL + timedelta(hours=12))
    # Monday 00:00-12:00 WET: 8 night hours, one off-period page (09:00, business hours).
    assert later[ana.pk] == PastLoad(load=Load(12, 8, 0, 0), pages=1, sleep_pages=0)
