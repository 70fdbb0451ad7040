"""An event's effects on paging, through the engine's own steps: extra responders paged with
the first step inside the window only, and a shorter acknowledgement timeout there."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Service
from incidents.services import engine
from incidents.services.incidents import incident_acknowledge
from oncall.models import Schedule

from .big_events_world import event_make
from .conftest import T0
from .test_engine import fire, on_call, phone, sent_to

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


@pytest.mark.django_db
def test_the_first_step_in_the_window_also_pages_the_event_people_and_schedules(
    demo, recorded, workers
):
    # The Secondary rota's on-call stands by as a second primary; the manager, by name.
    event_make(
        start=T0,
        hours=1,
        extra_people=[demo.manager],
        extra_schedules=[Schedule.objects.get(name="Secondary")],
    )
    primary, second = on_call("Primary"), on_call("Secondary")
    incident = fire()
    workers.run(T0)
    paged = set(sent_to(recorded))
    assert {("sms", phone(p)) for p in (primary, second, demo.manager)} <= paged
    assert set(incident.pages.filter(step=0).values_list("person", flat=True)) == {
        primary.pk,
        second.pk,
        demo.manager.pk,
    }
    entry = incident.timeline.get(kind="escalated")
    assert "(event: Champions final)" in entry.message
    assert entry.message.startswith(f"Step 1 (pass 1): paging {primary.display_name}; also ")
    # Later steps are the policy's own: the Secondary step pages nobody new.
    workers.run(T0 + 5 * MINUTE)
    assert not incident.pages.filter(step=1).exclude(person=second).exists()
    assert "event" not in incident.timeline.filter(kind="escalated").last().message


@pytest.mark.django_db
def test_outside_the_window_only_the_policy_is_paged(demo, recorded, workers):
    event_make(start=T0 + HOUR, hours=1, extra_people=[demo.manager])
    primary = on_call("Primary")
    incident = fire()
    workers.run(T0)
    assert set(incident.pages.values_list("person", flat=True)) == {primary.pk}
    assert "event" not in incident.timeline.get(kind="escalated").message
    workers.frozen_now(T0 + 2 * HOUR)
    later = fire(key="cpu", at=T0 + 2 * HOUR)
    workers.run(T0 + 2 * HOUR)
    assert set(later.pages.values_list("person", flat=True)) == {
        on_call("Primary", T0 + 2 * HOUR).pk
    }


@pytest.mark.django_db
def test_an_event_on_another_service_changes_nothing(demo, recorded, workers):
    event_make(start=T0, hours=1, services=("auth",), extra_people=[demo.manager])
    incident = fire(service="edge")
    workers.run(T0)
    assert demo.manager.pk not in set(incident.pages.values_list("person", flat=True))


@pytest.mark.django_db
def test_the_event_shortens_the_acknowledgement_timeout_in_its_window_only(demo, recorded, workers):
    Service.objects.filter(name="edge").update(ack_timeout_minutes=30)
    event_make(start=T0, hours=1, ack_timeout_minutes=5)
    inside = fire(key="inside")
    workers.run(T0)
    incident_acknowledge(incident=inside, now=T0 + MINUTE, source="web")
    assert inside.ack_timeout_at == T0 + 6 * MINUTE
    engine.sweep(now=T0 + 6 * MINUTE)
    inside.refresh_from_db()
    assert inside.status == "triggered"  # paged again after 5 minutes, not 30

    workers.frozen_now(T0 + 2 * HOUR)
    outside = fire(key="outside", at=T0 + 2 * HOUR)
    workers.run(T0 + 2 * HOUR)
    incident_acknowledge(incident=outside, now=T0 + 2 * HOUR, source="web")
    assert outside.ack_timeout_at == T0 + 2 * HOUR + 30 * MINUTE


@pytest.mark.django_db
def test_the_event_timeout_alone_applies_when_the_service_has_none(demo, recorded, workers):
    event_make(start=T0, hours=1, ack_timeout_minutes=10)
    incident = fire()
    workers.run(T0)
    incident_acknowledge(incident=incident, now=T0 + MINUTE, source="web")
    assert incident.ack_timeout_at == T0 + 11 * MINUTE
    # A longer event timeout never lengthens the service's own.
    Service.objects.filter(name="edge").update(ack_timeout_minutes=3)
    other = fire(key="other")
    workers.run(T0)
    incident_acknowledge(incident=other, now=T0 + MINUTE, source="web")
    assert other.ack_timeout_at == T0 + 4 * MINUTE


@pytest.mark.django_db
def test_the_events_of_a_batch_of_first_steps_are_read_once(demo, recorded, rings, frozen_now):
    frozen_now(T0)
    event_make(
        start=T0,
        hours=1,
        services=("edge", "auth", "cdn"),
        extra_people=[demo.manager],
        extra_schedules=[Schedule.objects.get(name="Secondary")],
    )

    def event_queries(count: int) -> int:
        for index in range(count):
            fire(service=("edge", "auth", "cdn")[index % 3], key=f"batch-{count}-{index}")
        with CaptureQueriesContext(connection) as queries:
            fired = engine.escalation_fire_due(now=T0)
        assert len(fired) == count
        return sum("incidents_event" in q["sql"] for q in queries.captured_queries)

    assert event_queries(2) == event_queries(6) == 3  # the events, their people, schedules
