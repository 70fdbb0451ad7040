"""What a rehearsal's server recorded: its incidents (the twin's, while it ran), progress and
the raw measurements the client turns into its report."""

from datetime import timedelta

import pytest

from incidents.models import Alert, Incident, Page, Rehearsal, Service, TimelineEntry
from incidents.rehearsals.selectors import rehearsal_records
from incidents.rehearsals.twins import twin_for
from incidents.services import pages
from oncall.channels.rehearsal import RehearsalChannel
from oncall.models import Person, RehearsalSend

from .conftest import T0

MS, SECOND, MINUTE = timedelta(milliseconds=1), timedelta(seconds=1), timedelta(minutes=1)


@pytest.fixture
def twin(demo):
    return twin_for(Service.objects.get(name="edge"))


def opened(twin, n: int, at, *, first_paged=None) -> Incident:
    incident = Incident.objects.create(
        service=twin,
        kind="rehearsal",
        dedup_key=f"k{n}",
        title=f"Disk {n}",
        created_at=at + 10 * MS,
        first_paged_at=first_paged,
    )
    for repeat in range(2):
        Alert.objects.create(
            incident=incident, action="trigger", dedup_key=incident.dedup_key,
            received_at=at + repeat * SECOND,
        )  # fmt: skip
    return incident


def fired(incident, step: int, *, at, due, loop: int = 0) -> None:
    TimelineEntry.objects.create(
        incident=incident,
        kind=TimelineEntry.Kind.ESCALATED,
        at=at,
        data={"step": step, "loop": loop, "due_at": due.isoformat()},
    )


def page(incident, step: int, rule: int, *, state="sent", sent=None, provider="") -> Page:
    person = Person.objects.order_by("pk").first()
    made = Page.objects.create(
        incident=incident, step=step, loop=0, person=person, rule_id=rule, kind="sms",
        address="+1", urgency="high", state=state, due_at=T0, created_at=T0, sent_at=sent,
        provider_id=provider,
    )  # fmt: skip
    return made


def recorded(made: Page, at) -> None:
    RehearsalSend.objects.create(
        reference=made.reference, kind="sms", address="+1", provider_id=made.provider_id, sent_at=at
    )


def test_the_records_measure_each_incident_from_its_first_alert(twin):
    rehearsal = Rehearsal.objects.create(service=twin, alerts=4, rate=2, started_at=T0)
    one = opened(twin, 1, T0, first_paged=T0 + 200 * MS)
    fired(one, 0, at=T0 + 50 * MS, due=T0 + 10 * MS)
    for rule, delay in ((1, 200 * MS), (2, 3 * SECOND)):
        made = page(one, 0, rule, sent=T0 + delay, provider=f"r-{rule}")
        recorded(made, T0 + delay)
    fired(one, 1, at=T0 + 5 * MINUTE + 2 * SECOND, due=T0 + 5 * MINUTE)
    page(one, 1, 3, state="pending")  # the second step's page still waits
    two = opened(twin, 2, T0 + SECOND)  # its first step has not fired yet
    # Before the rehearsal, and another service's: not its incidents.
    opened(twin, 3, T0 - MINUTE)
    opened(Service.objects.get(name="auth"), 4, T0)

    found = rehearsal_records(rehearsal, now=T0 + 10 * MINUTE)
    assert found["progress"] == {
        "alerts": 4,
        "incidents": 2,
        "incidents_settled": 1,  # without --follow, the second step is not waited for
        "pages": 3,
        "pages_open": 1,
    }
    records = found["records"]
    assert sorted(records["alert_to_incident"]) == [0.01, 0.01]
    assert records["incident_to_first_page"] == [0.19]
    assert records["alert_to_first_page"] == [0.2]
    assert records["alert_to_last_first_step_page"] == [3.0]
    assert records["steps"] == {"0": [2.95]}  # the second step's page has not left
    assert records["escalation_lateness"] == [0.04, 2.0]
    assert records["alerts_per_second"] == {(T0 + n * SECOND).isoformat(): 1 for n in range(3)} | {
        (T0 + SECOND).isoformat(): 2
    }
    assert records["pages_by_kind"] == {"sms": 3} and records["pages_failed"] == 0
    assert records["real_channel_sends"] == 0
    assert two.pk  # counted above, unsettled

    rehearsal.follow = True
    assert rehearsal_records(rehearsal, now=T0 + 10 * MINUTE)["progress"]["incidents_settled"] == 0


def test_a_page_sent_by_a_real_provider_is_counted_as_such(twin):
    rehearsal = Rehearsal.objects.create(service=twin, alerts=1, rate=1, started_at=T0)
    incident = opened(twin, 1, T0)
    page(incident, 0, 1, sent=T0, provider="SM0123")  # Twilio's id: not the rehearsal's
    recorded(page(incident, 0, 2, sent=T0, provider="r-2"), T0)
    page(incident, 0, 3, state="failed")
    records = rehearsal_records(rehearsal, now=T0 + MINUTE)["records"]
    assert records["real_channel_sends"] == 1 and records["pages_failed"] == 1


def test_test_pages_go_to_the_real_channels(demo, recorded):
    incident = Incident.objects.create(
        service=Service.objects.get(name="edge"), kind="test", dedup_key="t", created_at=T0
    )
    made = Page(incident=incident, kind="sms")
    assert not isinstance(pages._channel(made), RehearsalChannel)
    incident.kind = "rehearsal"
    assert isinstance(pages._channel(made), RehearsalChannel)


def test_the_twin_follows_the_real_services_policy_and_urgency_at_each_rehearsal(demo):
    real = Service.objects.get(name="edge")
    twin = twin_for(real)
    other = Service.objects.get(name="auth").escalation_policy
    real.escalation_policy, real.urgency_rule = None, "high"
    real.save()
    twin_for(real)
    twin.refresh_from_db()
    assert (twin.escalation_policy, twin.urgency_rule) == (None, "high")
    real.escalation_policy = other
    real.save()
    assert twin_for(real).escalation_policy == other
    assert Service.objects.filter(rehearsal_of=real).count() == 1


@pytest.mark.postgres
def test_rehearsals_of_one_service_started_at_once_start_once(transactional_db):
    from incidents.demo import demo_load
    from incidents.rehearsals.services import RehearsalBusy, rehearsal_start

    from .test_chaos import concurrently

    demo_load()
    outcomes = []

    def start(n):
        try:
            rehearsal_start(service="edge", alerts=10, rate=5, now=T0)
            outcomes.append("started")
        except RehearsalBusy:
            outcomes.append("busy")

    concurrently(start, threads=4)
    assert sorted(outcomes) == ["busy", "busy", "busy", "started"]
    assert Rehearsal.objects.count() == 1
    assert Service.objects.filter(rehearsal_of__name="edge").count() == 1
