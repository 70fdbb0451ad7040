"""The engine in batches: many incidents fired per transaction, their first pages claimed,
sent and recorded together, and still each incident fired once and each page sent once."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from incidents.ingest.base import AlertEvent
from incidents.models import (
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    Incident,
    Page,
    Service,
    TimelineEntry,
)
from incidents.services import doorbell, engine, pages
from incidents.services.alerts import alerts_ingest
from incidents.services.incidents import incident_acknowledge
from oncall.models import ContactMethod, NotificationRule, Person, Team

from .conftest import T0, make_integration

COUNT = engine.FIRE_BATCH * 2 + 7  # two full batches and a partial one


def _organisation(count: int) -> list:
    """`count` people, each with a verified e-mail and a service of their own paging them."""
    team = Team.objects.create(name="Storm", slug="storm")
    integrations = []
    for n in range(count):
        user = get_user_model().objects.create(username=f"storm{n}", email=f"s{n}@example.com")
        person = Person.objects.create(user=user, display_name=f"Storm {n}")
        method = ContactMethod.objects.create(
            person=person, kind="email", address=f"s{n}@example.com", verified_at=T0
        )
        NotificationRule.objects.create(person=person, contact_method=method)
        policy = EscalationPolicy.objects.create(name=f"storm-{n}", team=team)
        step = EscalationStep.objects.create(policy=policy, position=0)
        EscalationTarget.objects.create(step=step, kind="person", person=person)
        service = Service.objects.create(name=f"storm-{n}", team=team, escalation_policy=policy)
        integrations.append(make_integration(service))
    return integrations


def _open(integrations, prefix="storm") -> list[int]:
    numbers = []
    for n, integration in enumerate(integrations):
        event = AlertEvent(action="trigger", dedup_key=f"{prefix}-{n}", severity="critical")
        (result,) = alerts_ingest(integration=integration, events=[event], now=T0)
        numbers.append(result.incident_number)
    return numbers


@pytest.mark.django_db
def test_a_storm_of_incidents_fires_each_once_and_pages_each_person_once(
    rings, recorded, frozen_now
):
    frozen_now(T0)
    opened = _open(_organisation(COUNT))

    assert engine.engine_run(clock=lambda: T0) == COUNT

    sent = recorded()
    assert len(sent) == COUNT  # one e-mail per incident, each to its own person
    assert len({s["address"] for s in sent}) == COUNT
    assert Counter(s["reference"] for s in sent).most_common(1)[0][1] == 1
    escalated = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.ESCALATED)
    assert sorted(escalated.values_list("incident_id", flat=True)) == sorted(opened)
    assert set(Page.objects.values_list("state", flat=True)) == {Page.State.SENT}
    recorded_sent = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.PAGE_SENT)
    assert sorted(recorded_sent.values_list("data__page", flat=True)) == sorted(
        Page.objects.values_list("pk", flat=True)
    )
    assert not Incident.objects.filter(first_paged_at=None).exists()
    # Each incident moved on to wait for its next pass, due once, its policy kept.
    assert not Incident.objects.filter(esc_due_at__lte=T0).exists()
    assert not Incident.objects.filter(policy_snapshot=None).exists()
    # Nothing is left: another run fires nothing and sends nothing.
    assert engine.engine_run(clock=lambda: T0) == 0
    assert len(recorded()) == COUNT


@pytest.mark.django_db
def test_a_page_recorded_as_sent_twice_is_recorded_once(rings, recorded, frozen_now):
    frozen_now(T0)
    (incident_id,) = _open(_organisation(1))
    (fired,) = engine.escalation_fire_due(now=T0)
    (page,) = fired.due_pages
    Page.objects.filter(pk=page.pk).update(state=Page.State.SENDING)
    sent = pages.Sent(page, "provider-1", "sent", T0 + timedelta(seconds=1))
    later = pages.Sent(page, "provider-2", "sent", T0 + timedelta(seconds=5))

    assert pages.pages_sent([sent]) == {page.pk}
    assert pages.pages_sent([later]) == set()  # a status callback, a second sender: no change

    page.refresh_from_db()
    assert (page.provider_id, page.sent_at) == ("provider-1", sent.at)
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.PAGE_SENT).count() == 1
    assert Incident.objects.get(pk=incident_id).first_paged_at == sent.at


@pytest.mark.django_db
def test_an_incident_acknowledged_before_its_first_pages_go_is_not_paged(
    rings, recorded, frozen_now
):
    frozen_now(T0)
    integrations = _organisation(3)
    first, acknowledged, third = _open(integrations)
    fired = engine.escalation_fire_due(now=T0)
    incident_acknowledge(incident=Incident.objects.get(pk=acknowledged), now=T0)

    pages.pages_send_created([p for f in fired for p in f.due_pages], now=T0)

    paged = set(Page.objects.filter(state=Page.State.SENT).values_list("incident_id", flat=True))
    assert paged == {first, third}
    assert Page.objects.get(incident_id=acknowledged).state == Page.State.CANCELLED
    assert len(recorded()) == 2


@pytest.mark.django_db
def test_a_run_that_caught_up_rings_for_the_next_slice_and_a_full_batch_for_a_helper(
    rings, recorded, frozen_now, monkeypatch
):
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(doorbell, "_rung_slice", -1)
    frozen_now(T0)
    _open(_organisation(engine.FIRE_BATCH + 1))

    engine.engine_run(clock=lambda: T0)

    # One ring as the first batch came back full (another worker may share the rest), one as
    # the run caught up (what another transaction held when it looked is not left to the sweep).
    assert [task for task, _ in rings].count(doorbell.ENGINE) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_engine_runs_at_once_fire_each_incident_once_and_send_each_page_once(
    rings, recorded, frozen_now
):
    frozen_now(T0)
    opened = _open(_organisation(COUNT))
    errors, fired = [], []

    def run():
        try:
            fired.append(engine.engine_run(clock=lambda: T0))
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert sum(fired) == COUNT
    sent = Counter(s["reference"] for s in recorded())
    assert len(sent) == COUNT and set(sent.values()) == {1}
    escalated = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.ESCALATED)
    assert sorted(escalated.values_list("incident_id", flat=True)) == sorted(opened)
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.PAGE_SENT).count() == COUNT


@pytest.mark.django_db
def test_a_send_that_breaks_mid_batch_leaves_no_page_lost(rings, recorded, frozen_now, monkeypatch):
    from oncall.channels.recording import RecordingChannel

    frozen_now(T0)
    _open(_organisation(4))
    fired = engine.escalation_fire_due(now=T0)
    batch = [p for f in fired for p in f.due_pages]
    broken = batch[1].reference
    send = RecordingChannel.send

    def breaking(self, message):
        if message.reference == broken:
            raise RuntimeError("the provider's library blew up")
        return send(self, message)

    monkeypatch.setattr(RecordingChannel, "send", breaking)
    with pytest.raises(RuntimeError):
        pages.pages_send_created(batch, now=T0)

    states = dict(Page.objects.values_list("pk", "state"))
    # The one sent is recorded; the one that broke waits for reconciliation; the others wait,
    # unclaimed, for the sweep, which rings for them at once.
    assert states[batch[0].pk] == Page.State.SENT
    assert states[batch[1].pk] == Page.State.SENDING
    assert [states[p.pk] for p in batch[2:]] == [Page.State.PENDING] * 2
    assert [s["reference"] for s in recorded()] == [batch[0].reference]
    rings.clear()
    engine.sweep(now=T0)
    assert {pk for task, pk in rings if task == doorbell.SEND} == {p.pk for p in batch[2:]}
