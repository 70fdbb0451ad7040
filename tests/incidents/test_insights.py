"""Insights against a hand-computed history of 50 incidents (insights_fixture.py): MTTA and MTTR,
the noisy alerts, pages by hour across a DST change, scope by person, and the rollup giving the
very same answer as the raw rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from incidents.insights.queries import Noisy, Scope, insights_of
from incidents.insights.rollup import rollup_advance, rollup_rebuild
from incidents.insights.stats import Summary
from incidents.models import InsightBucket, NoiseDay, RollupWatermark
from tests.incidents.insights_fixture import SAO_PAULO, T0, history, incident_at, page_to

pytestmark = pytest.mark.django_db

SINCE, UNTIL = T0 - timedelta(days=1, minutes=-7), T0 + timedelta(days=4)


@pytest.fixture
def ops():
    return history()


def insights(service, **scope):
    return insights_of(
        scope=Scope(service_ids=(service.pk,), **scope), since=SINCE, until=UNTIL, zone=SAO_PAULO
    )


def test_mtta_and_mttr_are_the_hand_computed_median_and_p90(ops):
    found = insights(ops[0])
    # 40 acknowledgements after 10, 20 … 400 s: rank 19.5 is 205 s, rank 35.1 is 361 s.
    assert found.mtta == Summary(205.0, 361.0, 40)
    # 48 resolutions: 6 × 120 s, 2 × 600 s, then 3600 … 5940 s by 60: ranks 23.5 and 42.3.
    assert found.mttr == Summary(4530.0, 5658.0, 48)
    assert found.acknowledgements == {
        "sms": 10,
        "voice": 10,
        "slack": 10,
        "email": 0,
        "web": 10,
        "api": 0,
        "monitoring": 0,
    }


def test_the_noisy_alerts_count_incidents_alerts_and_quiet_resolutions(ops):
    assert insights(ops[0]).noisy == [
        Noisy("ErrorRate", incidents=20, alerts=20, quiet=0),
        Noisy("HighLatency", incidents=20, alerts=20, quiet=0),
        Noisy("DiskFull", incidents=10, alerts=30, quiet=6),
    ]


def test_weeks_hours_and_interruptions_count_every_page_once(ops):
    found = insights(ops[0])
    assert found.weeks == [(date(2026, 10, 26), 0, 0), (date(2026, 11, 2), 50, 60)]
    assert sum(found.hours) == 60 == sum(found.interruptions.values())
    # Ana's 50 pages, one an hour from 06:07 in São Paulo: hours 6 … 23, 0 … 23, 0 … 7.
    assert found.hours[6] == 3 + 1  # and Bruno's first, at 09:07 UTC, 06:07 in São Paulo
    assert found.hours[8] == 2 + 0 + 1


def test_scope_by_person_keeps_the_incidents_that_paged_them_and_their_pages(ops):
    service, _, bruno = ops
    found = insights(service, person_id=bruno.pk)
    assert found.mtta == Summary(55.0, 91.0, 10)  # 10 … 100 s: ranks 4.5 and 8.1
    assert sum(found.hours) == 10
    assert [n.incidents for n in found.noisy] == [5, 5]


def test_the_rollup_gives_the_same_answer_as_the_raw_rows(ops):
    service, _, bruno = ops
    raw = insights(service), insights(service, person_id=bruno.pk)
    rollup_rebuild(now=UNTIL + timedelta(days=2))
    assert InsightBucket.objects.exists() and NoiseDay.objects.exists()
    assert (insights(service), insights(service, person_id=bruno.pk)) == raw
    # Half rolled up: the watermark in the middle of the history.
    rollup_rebuild(now=T0 + timedelta(hours=20, minutes=41))
    assert (insights(service), insights(service, person_id=bruno.pk)) == raw


def test_the_rollup_leaves_what_may_still_change_to_the_raw_rows(ops):
    service = ops[0]
    mark = rollup_advance(now=T0 + timedelta(hours=10, minutes=50))
    assert mark == T0.replace(minute=0) + timedelta(hours=10, minutes=15)
    assert rollup_advance(now=T0 + timedelta(hours=10, minutes=52)) == mark  # nothing new
    assert insights(service).mtta.count == 40


def test_hours_of_day_follow_the_zone_across_a_dst_change():
    service = history()[0]
    ana = service.team.memberships.get(person__display_name="Ana").person
    lisbon = ZoneInfo("Europe/Lisbon")
    # Summer time ends at 02:00 WEST on 25 October 2026 (01:00 UTC): 01:xx happens twice.
    night = datetime(2026, 10, 25, tzinfo=UTC)
    incident = incident_at(service, night, name="Night")
    for hour in (0, 1, 2):
        page_to(incident, ana, night + timedelta(hours=hour, minutes=30), loop=hour)
    since, until = night - timedelta(hours=2), night + timedelta(hours=4)
    scope = Scope(service_ids=(service.pk,))
    found = insights_of(scope=scope, since=since, until=until, zone=lisbon)
    assert found.hours[1] == 2 and found.hours[2] == 1 and sum(found.hours) == 3
    assert found.weeks == [(date(2026, 10, 19), 1, 3)]
    rollup_rebuild(now=until + timedelta(hours=1))
    assert insights_of(scope=scope, since=since, until=until, zone=lisbon) == found


def test_the_command_rebuilds_the_rollup_from_the_record(ops, capsys):
    from django.core.management import call_command

    from oncall import clock

    service = ops[0]
    raw = insights(service)
    call_command("insights", "rebuild")
    assert "holds every bucket before" in capsys.readouterr().out
    assert clock.now() - RollupWatermark.objects.get().until < timedelta(minutes=46)
    assert insights(service) == raw


def test_an_incident_is_named_by_its_alertname_and_its_acknowledgement_by_channel(ops, rings):
    from incidents.ingest import alertmanager
    from incidents.models import Incident
    from incidents.models.choices import Action
    from incidents.services.acts import incident_act
    from incidents.services.alerts import alerts_ingest
    from incidents.services.incidents import incident_unacknowledge
    from tests.incidents.conftest import make_integration
    from tests.incidents.test_ingest_alertmanager import captured

    service, ana, _ = ops
    events = alertmanager.parse(captured("webhook-firing-one-alert.json"))
    (result,) = alerts_ingest(integration=make_integration(service), events=events, now=T0)
    incident = Incident.objects.get(pk=result.incident_number)
    assert incident.alert_name == events[0].details["labels"]["alertname"] != incident.title
    incident_act(incident=incident, action=Action.ACKNOWLEDGE, by=ana, source="slack", now=T0)
    incident.refresh_from_db()
    assert incident.ack_source == "slack"
    incident_unacknowledge(incident=incident, now=T0 + timedelta(hours=1))
    incident.refresh_from_db()
    assert (incident.acknowledged_at, incident.ack_source) == (None, "")
