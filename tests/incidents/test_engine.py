"""The escalation engine, driven step by step: who is paged, when, and never twice."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.ingest.base import AlertEvent
from incidents.models import (
    EscalationStep,
    Incident,
    Integration,
    MaintenanceWindow,
    Page,
    Service,
    TimelineEntry,
)
from incidents.services import alerts as alerts_module
from incidents.services import doorbell, engine, pages
from incidents.services.alerts import alerts_ingest
from incidents.services.incidents import (
    incident_acknowledge,
    incident_add_note,
    incident_add_responder,
    incident_escalate_now,
    incident_reassign,
    incident_resolve,
)
from oncall import selectors
from oncall.models import ContactMethod, Person, Schedule

from .conftest import T0, make_integration

MINUTE = timedelta(minutes=1)


def fire(service="edge", key="disk-full", at=T0, severity="critical", action="trigger"):
    integration = Integration.objects.filter(service__name=service).first()
    if integration is None:
        integration = make_integration(Service.objects.get(name=service))
    (result,) = alerts_ingest(
        integration=integration,
        events=[AlertEvent(action=action, dedup_key=key, title="Disk full", severity=severity)],
        now=at,
    )
    return Incident.objects.get(pk=result.incident_number) if result.incident_number else None


def on_call(schedule: str, at=T0) -> Person:
    return selectors.oncall_at(schedule=Schedule.objects.get(name=schedule), at=at)


def sent_to(recorded) -> list[tuple[str, str]]:
    return [(s["kind"], s["address"]) for s in recorded()]


def phone(person: Person) -> str:
    return person.contact_methods.get(kind="sms").address


@pytest.mark.django_db
def test_an_alert_pages_the_primary_on_call_person_and_nobody_else_until_the_delay(
    demo, recorded, workers
):
    primary = on_call("Primary")
    incident = fire()
    workers.run(T0)
    assert sorted(sent_to(recorded)) == sorted(
        [("sms", phone(primary)), ("email", primary.user.email)]
    )
    workers.run(T0 + 3 * MINUTE)  # the voice rule, 3 minutes later
    assert sent_to(recorded)[-1] == ("voice", phone(primary))
    workers.run(T0 + 5 * MINUTE - timedelta(seconds=1))
    assert {address for _, address in sent_to(recorded)} == {phone(primary), primary.user.email}
    workers.run(T0 + 5 * MINUTE)  # step 2: the Secondary on-call person
    secondary = on_call("Secondary", T0 + 5 * MINUTE)
    assert ("sms", phone(secondary)) in sent_to(recorded)
    assert incident.pages.filter(person=secondary, step=1).exists()


@pytest.mark.django_db
def test_acknowledging_stops_every_page_and_step(demo, recorded, workers):
    primary = on_call("Primary")
    incident = fire()
    workers.run(T0)
    assert incident_acknowledge(incident=incident, now=T0 + MINUTE, by=primary, source="sms")
    before = len(recorded())
    workers.run(T0 + timedelta(hours=3))
    assert len(recorded()) == before
    assert not incident.pages.filter(person=primary, kind="voice", state="sent").exists()
    assert incident.pages.filter(state="cancelled").exists()


@pytest.mark.django_db
def test_acknowledging_or_resolving_twice_is_harmless_and_records_one_entry(demo, workers):
    incident = fire()
    assert incident_acknowledge(incident=incident, now=T0 + MINUTE, source="web")
    assert not incident_acknowledge(incident=incident, now=T0 + 2 * MINUTE, source="sms")
    assert incident_resolve(incident=incident, now=T0 + 3 * MINUTE, source="web")
    assert not incident_resolve(incident=incident, now=T0 + 4 * MINUTE, source="slack")
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds.count("acknowledged") == 1 and kinds.count("resolved") == 1


@pytest.mark.django_db
def test_resolve_from_monitoring_closes_the_incident_and_a_new_trigger_opens_another(demo):
    first = fire()
    assert fire(action="resolve", at=T0 + MINUTE).pk == first.pk
    first.refresh_from_db()
    assert first.status == "resolved"
    second = fire(at=T0 + 2 * MINUTE)
    assert second.pk != first.pk and second.status == "triggered"


@pytest.mark.django_db
def test_the_same_key_dedups_into_one_open_incident(demo):
    incidents = {fire(at=T0 + n * MINUTE).pk for n in range(5)}
    assert len(incidents) == 1
    assert Incident.objects.get().alerts.count() == 5


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("seen", [True, False], ids=["in-a-storm", "first-in-this-process"])
def test_a_duplicate_of_an_open_key_costs_its_alert_row_and_nothing_else(
    demo, rings, seen, monkeypatch
):
    """In a storm most alerts repeat an open key: each is kept (the incident page and the
    noisy-alert insights read them) and writes nothing else, nor wakes the engine."""
    monkeypatch.setattr(alerts_module, "SEEN_OPEN_SECONDS", 3600)  # however slow the machine
    incident = fire()
    bells = []  # every ring of the engine, before the slice's coalescing
    monkeypatch.setattr(doorbell, "_bell", lambda: bells.append(1))
    if not seen:  # a process that has not seen the key open: the INSERT finds the conflict
        alerts_module._seen_open.clear()

    def state():
        return (
            Incident.objects.filter(pk=incident.pk).values().get(),
            list(TimelineEntry.objects.values_list("pk", flat=True).order_by("pk")),
        )

    # As the token check finds it: with its service.
    integration = Integration.objects.select_related("service").get(service__name="edge")
    repeat = AlertEvent(action="trigger", dedup_key="disk-full", title="Disk full")
    before = state()
    with CaptureQueriesContext(connection) as queries:
        (result,) = alerts_ingest(integration=integration, events=[repeat], now=T0 + MINUTE)
    assert result.incident_number == incident.pk and not result.created
    assert state() == before
    assert incident.alerts.count() == 2
    assert bells == []
    statements = [q["sql"].lstrip() for q in queries]
    assert not [sql for sql in statements if sql.upper().startswith(("UPDATE", "DELETE"))]
    inserts = [sql for sql in statements if sql.upper().startswith("INSERT")]
    assert "incidents_alert" in inserts[-1]
    if seen:  # BEGIN, the open incident, its alert, COMMIT
        assert len(statements) == 4 and len(inserts) == 1, statements
    else:  # the INSERT that finds the open incident takes its place, and writes nothing
        assert len(statements) == 5 and len(inserts) == 2, statements


@pytest.mark.django_db
def test_the_policy_runs_three_passes_then_stops(demo, recorded, workers):
    incident = fire()
    workers.run(T0 + timedelta(hours=3))
    steps = list(
        incident.pages.filter(kind="sms").order_by("loop", "step").values_list("loop", "step")
    )
    assert steps == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]
    incident.refresh_from_db()
    assert incident.esc_due_at is None
    # Each step fired at its time: 0, 5, 15 minutes, then again 30 minutes later.
    manager_pages = incident.pages.filter(step=2, kind="sms").order_by("loop")
    assert [p.due_at - T0 for p in manager_pages] == [
        timedelta(minutes=15),
        timedelta(minutes=45),
        timedelta(minutes=75),
    ]


@pytest.mark.django_db
def test_a_running_escalation_keeps_the_policy_it_started_with(demo, workers):
    incident = fire()
    workers.run(T0)
    step = EscalationStep.objects.get(policy__name="Platform SRE default", position=0)
    step.escalate_after_minutes = 60
    step.save()  # as the admin does
    workers.run(T0 + 5 * MINUTE)
    assert incident.pages.filter(step=1).exists()
    later = fire(key="other", at=T0 + 6 * MINUTE)
    workers.run(T0 + 11 * MINUTE)
    assert not later.pages.filter(step=1).exists()  # the new incident waits 60 minutes


@pytest.mark.django_db
def test_low_urgency_waits_for_the_persons_daytime(demo, recorded, workers):
    night = T0.replace(hour=2)  # 02:00 UTC: Singapore covers Primary, 10:00 there
    fire(severity="warning", at=night)  # warning is low urgency on the demo services
    workers.run(night)
    primary = on_call("Primary", night)
    assert primary.time_zone == "Asia/Singapore"
    assert sent_to(recorded) == [("email", primary.user.email)]  # daytime there: sent now
    assert Page.objects.get().urgency == "low"


@pytest.mark.django_db
def test_low_urgency_at_night_is_held_until_eight_local(demo, recorded, workers):
    primary = on_call("Primary")
    Person.objects.filter(pk=primary.pk).update(time_zone="America/Los_Angeles")
    fire(severity="info")
    workers.run(T0)  # 02:00 in Los Angeles
    assert recorded() == []
    (page,) = Page.objects.all()
    assert page.due_at == T0.replace(hour=16)  # 08:00 in Los Angeles
    workers.run(T0.replace(hour=16))
    # Meanwhile the policy moved on (low urgency still escalates, by e-mail); the night owl's
    # page went out once, at eight in the morning there.
    mine = [s for s in recorded() if s["address"] == primary.user.email]
    assert len(mine) == 1
    page.refresh_from_db()
    assert page.sent_at == T0.replace(hour=16) and page.interruption == "business"


@pytest.mark.django_db
def test_every_sent_page_records_the_persons_local_time_and_interruption(demo, recorded, workers):
    fire()
    workers.run(T0)
    for page in Page.objects.filter(state="sent"):
        assert page.local_time.startswith("2027-01-13T10:00:00+00:00")  # Lisbon in winter
        assert page.interruption == "business"


@pytest.mark.django_db
def test_unverified_contact_methods_are_never_paged(demo, recorded, workers):
    primary = on_call("Primary")
    primary.contact_methods.filter(kind="sms").update(verified_at=None)
    fire()
    workers.run(T0 + 4 * MINUTE)
    assert ("sms", phone(primary)) not in sent_to(recorded)
    assert ("voice", phone(primary)) in sent_to(recorded)


@pytest.mark.django_db
def test_a_maintenance_window_holds_paging_until_it_ends(demo, recorded, workers):
    edge = Service.objects.get(name="edge")
    MaintenanceWindow.objects.create(service=edge, start=T0 - MINUTE, end=T0 + 30 * MINUTE)
    incident = fire()
    workers.run(T0 + 29 * MINUTE)
    assert recorded() == []
    assert incident.timeline.filter(kind="held").exists()
    workers.run(T0 + 30 * MINUTE)
    assert ("sms", phone(on_call("Primary", T0 + 30 * MINUTE))) in sent_to(recorded)


@pytest.mark.django_db
def test_an_acknowledgement_times_out_and_pages_again(demo, recorded, workers):
    Service.objects.filter(name="edge").update(ack_timeout_minutes=30)
    incident = fire()
    workers.run(T0)
    incident_acknowledge(incident=incident, now=T0 + MINUTE, source="web")
    first = len(recorded())
    engine.sweep(now=T0 + 31 * MINUTE)
    incident.refresh_from_db()
    assert incident.status == "triggered"
    workers.run(T0 + 31 * MINUTE)
    assert len(recorded()) > first
    assert incident.timeline.filter(kind="unacknowledged").count() == 1


@pytest.mark.django_db
def test_an_incident_resolves_itself_after_the_auto_resolve_timeout(demo, workers):
    Service.objects.filter(name="edge").update(auto_resolve_minutes=240)
    incident = fire()
    engine.sweep(now=T0 + 239 * MINUTE)
    incident.refresh_from_db()
    assert incident.status == "triggered"
    engine.sweep(now=T0 + 240 * MINUTE)
    incident.refresh_from_db()
    assert incident.status == "resolved"


@pytest.mark.django_db
def test_escalate_now_reassign_responders_and_notes(demo, recorded, workers):
    incident = fire()
    workers.run(T0)
    assert incident_escalate_now(incident=incident, now=T0 + MINUTE, source="web")
    workers.run(T0 + MINUTE)
    assert incident.pages.filter(step=1).exists()
    helper = Person.objects.get(user__username="mei")
    assert incident_add_responder(incident=incident, person=helper, now=T0 + 2 * MINUTE)
    assert not incident_add_responder(incident=incident, person=helper, now=T0 + 3 * MINUTE)
    workers.run(T0 + 2 * MINUTE)
    assert ("sms", phone(helper)) in sent_to(recorded)
    other = Person.objects.get(user__username="tiago")
    incident_reassign(incident=incident, to=other, now=T0 + 4 * MINUTE, source="web")
    workers.run(T0 + 4 * MINUTE)
    assert ("sms", phone(other)) in sent_to(recorded)
    incident_add_note(incident=incident, text="Rolled back the deploy.", now=T0 + 5 * MINUTE)
    kinds = set(incident.timeline.values_list("kind", flat=True))
    assert {"responder_added", "reassigned", "note", "escalated"} <= kinds


@pytest.mark.django_db
def test_a_page_is_sent_once_however_often_its_doorbell_rings(demo, recorded, workers):
    fire()
    workers.run(T0)
    page = Page.objects.filter(kind="sms").first()
    for _ in range(5):
        assert pages.page_send(page_id=page.pk, now=T0 + MINUTE) is None
    assert [s["reference"] for s in recorded()].count(page.reference) == 1


@pytest.mark.django_db
def test_a_page_whose_sender_died_after_sending_is_not_sent_again(demo, recorded, workers):
    fire()
    engine.escalation_fire(incident_id=Incident.objects.get().pk, now=T0)
    page = Page.objects.filter(kind="sms").first()
    # The worker sent it, then died before writing "sent": the record and the row disagree.
    pages.page_send(page_id=page.pk, now=T0)
    Page.objects.filter(pk=page.pk).update(state="sending", lease_until=T0 + MINUTE)
    assert pages.page_reconcile(page_id=page.pk, now=T0 + 30 * MINUTE / 60) is None  # leased
    assert pages.page_reconcile(page_id=page.pk, now=T0 + 2 * MINUTE) == "sent"
    assert [s["reference"] for s in recorded()].count(page.reference) == 1


@pytest.mark.django_db
def test_a_page_whose_sender_died_before_sending_is_sent_by_reconciliation(demo, recorded):
    fire()
    engine.escalation_fire(incident_id=Incident.objects.get().pk, now=T0)
    page = Page.objects.filter(kind="sms").first()
    Page.objects.filter(pk=page.pk).update(state="sending", lease_until=T0 + MINUTE)
    assert pages.page_reconcile(page_id=page.pk, now=T0 + 2 * MINUTE) == "sent"
    assert [s["reference"] for s in recorded()].count(page.reference) == 1


@pytest.mark.django_db
def test_the_console_channel_cannot_reconcile_so_the_page_fails_rather_than_repeat(demo):
    fire()
    engine.escalation_fire(incident_id=Incident.objects.get().pk, now=T0)
    page = Page.objects.filter(kind="sms").first()
    Page.objects.filter(pk=page.pk).update(state="sending", lease_until=T0)
    assert pages.page_reconcile(page_id=page.pk, now=T0 + MINUTE) == "failed"
    page.refresh_from_db()
    assert "outcome unknown" in page.error


@pytest.mark.django_db
def test_the_sweep_rings_for_what_is_due_and_for_lost_doorbells_only(demo, rings):
    incident = fire()  # rang on commit in production; in this test the ring is not kept
    Incident.objects.filter(pk=incident.pk).update(esc_rung_for=None)
    assert engine.sweep(now=T0)["escalations"] == 1
    assert engine.sweep(now=T0 + timedelta(seconds=5))["escalations"] == 0  # already rung
    assert engine.sweep(now=T0 + timedelta(seconds=31))["escalations"] == 1  # lost: ring again
    # Still not answered (a backlog, say): rung again only once another 30 seconds have passed.
    assert engine.sweep(now=T0 + timedelta(seconds=36))["escalations"] == 0
    assert engine.sweep(now=T0 + timedelta(seconds=61))["escalations"] == 1
    assert ("incidents.tasks.escalation_fire", incident.pk) in rings


@pytest.mark.django_db
def test_a_schedule_gap_is_written_in_the_timeline(demo, workers):
    Schedule.objects.get(name="Primary").layers.all().delete()
    incident = fire()
    workers.run(T0)
    assert incident.timeline.filter(kind="nobody", message__contains="Primary").exists()


@pytest.mark.django_db
def test_a_heartbeat_that_stops_opens_an_incident(demo, workers):
    edge = Service.objects.get(name="edge")
    integration = make_integration(edge, kind="heartbeat", heartbeat_interval_seconds=300)
    Integration.objects.filter(pk=integration.pk).update(heartbeat_due_at=T0)
    assert engine.sweep(now=T0 + MINUTE)["heartbeats"] == 1
    assert engine.sweep(now=T0 + 2 * MINUTE)["heartbeats"] == 0
    incident = Incident.objects.get(dedup_key=f"heartbeat-{integration.pk}")
    assert incident.severity == "critical" and incident.is_open
    assert TimelineEntry.objects.filter(incident=incident, kind="triggered").exists()


@pytest.mark.django_db
def test_a_burst_of_new_incidents_rings_the_engine_once_per_slice(
    demo, rings, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from incidents.services import doorbell

    cache.clear()
    monkeypatch.setattr(doorbell, "_rung_slice", -1)
    instant = 1_800_000_000.012  # 12 ms into a 50 ms slice
    monkeypatch.setattr(doorbell.time, "time", lambda: instant)
    for n in range(20):
        with django_capture_on_commit_callbacks(execute=True):
            fire(key=f"burst-{n}")
    engine_rings = [ring for ring in rings if ring[0] == doorbell.ENGINE]
    assert engine_rings == [(doorbell.ENGINE, None)]
    assert Incident.objects.filter(status="triggered", esc_due_at=T0).count() == 20


@pytest.mark.django_db
def test_the_engine_bell_starts_its_run_after_the_slice_so_it_sees_every_commit(
    demo, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from incidents.services import doorbell

    cache.clear()
    monkeypatch.setattr(doorbell, "_rung_slice", -1)
    sent = []
    monkeypatch.setattr(doorbell, "_send", lambda task, pk, countdown: sent.append(countdown))
    monkeypatch.setattr(doorbell.time, "time", lambda: 1_800_000_000.012)
    with django_capture_on_commit_callbacks(execute=True):
        fire(key="late-in-slice")
    (countdown,) = sent
    assert 0.038 + doorbell.BELL_MARGIN - 1e-6 <= countdown <= 0.038 + doorbell.BELL_MARGIN + 1e-6


@pytest.mark.django_db
def test_one_engine_run_fires_every_due_step_and_sends_first_pages_in_the_same_hop(
    demo, recorded, rings
):
    incidents = [fire(service=name, key=f"run-{name}") for name in ("edge", "auth", "cdn")]
    fired = engine.engine_run(clock=lambda: T0)
    assert fired == 3
    primary = on_call("Primary")
    # Each incident's immediate pages went out in the run, with no page_send task: three
    # e-mails, and one SMS naming all three (one SMS a minute to a number, so they go together).
    assert sent_to(recorded).count(("email", primary.user.email)) == 3
    (text,) = [s["body"] for s in recorded() if s["kind"] == "sms"]
    assert text.startswith("[Plantao] 3 open: ")
    assert all(f"#{incident.number} " in text for incident in incidents)
    sms = Page.objects.filter(kind="sms")
    assert set(sms.values_list("state", flat=True)) == {"sent"}
    assert sms.values("provider_id").distinct().count() == 1
    assert engine.engine_run(clock=lambda: T0) == 0  # nothing left: the next run finds nothing


@pytest.mark.django_db
def test_sms_held_by_the_one_a_minute_limit_go_out_together_as_one_message(demo, recorded, workers):
    first = fire(service="edge", key="storm-1")
    engine.engine_run(clock=lambda: T0)  # its SMS goes at once
    later = T0 + 10 * timedelta(seconds=1)
    workers.frozen_now(later)
    more = [fire(service=name, key=f"storm-{name}", at=later) for name in ("auth", "cdn")]
    engine.engine_run(clock=lambda: later)  # within the minute: held until T0 + 1 min
    held = Page.objects.filter(kind="sms", state="pending")
    assert held.count() == 2 and {p.due_at for p in held} == {T0 + MINUTE}
    workers.run(T0 + MINUTE)
    primary = on_call("Primary")
    texts = [s["body"] for s in recorded() if s["kind"] == "sms"]
    assert len(texts) == 2  # the first at once, then the two held, together
    single, bundle = texts
    assert single.startswith(f"[Plantao #{first.number}]")
    assert bundle.startswith("[Plantao] 2 open: ")
    assert all(f"#{incident.number} " in bundle for incident in more)
    assert bundle.endswith("reply 4 to acknowledge all, 6 to resolve all")
    sms = Page.objects.filter(kind="sms", person=primary)
    assert set(sms.values_list("state", flat=True)) == {"sent"}
    assert sms.values("provider_id").distinct().count() == 2
    assert {p.sent_at for p in sms} == {T0, T0 + MINUTE}


def held_texts(rings, capture, count):
    """Fire `count` incidents within the minute after one whose text went at T0: their texts to
    the Primary wait for the turn at T0 + 1 min. Return them, and the texts whose own doorbell
    rang for that turn."""
    fire(service="edge", key="turn-first")
    engine.engine_run(clock=lambda: T0)
    later = T0 + 10 * timedelta(seconds=1)
    incidents = [fire(service="edge", key=f"turn-{n}", at=later) for n in range(count)]
    rings.clear()
    with capture(execute=True):
        engine.engine_run(clock=lambda: later)
    held = Page.objects.filter(kind="sms", state="pending", incident__in=incidents)
    assert held.count() == count and {p.due_at for p in held} == {T0 + MINUTE}
    rung = [pk for task, pk in rings if task == doorbell.SEND and pk in {p.pk for p in held}]
    return incidents, rung


def ring_at(rung, at, capture):
    """What the worker does when the doorbells rung for `at` go off (and nothing else)."""
    with capture(execute=True):
        for pk in rung:
            pages.page_send(page_id=pk, now=at)


@pytest.mark.django_db
def test_texts_held_for_one_turn_ring_one_doorbell_and_go_as_one_message(
    demo, recorded, rings, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # A storm must not leave a task per held text, all due at the same instant: the workers
    # would run hundreds of them back to back there, and escalations due then would wait.
    incidents, rung = held_texts(rings, capture, 6)
    assert len(rung) == 1
    ring_at(rung, T0 + MINUTE, capture)
    texts = [s["body"] for s in recorded() if s["kind"] == "sms"]
    assert len(texts) == 2 and texts[1].startswith("[Plantao] 6 open: ")
    assert all(f"#{incident.number} " in texts[1] for incident in incidents)
    held = Page.objects.filter(kind="sms", incident__in=incidents)
    assert set(held.values_list("state", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_texts_riding_on_a_doorbell_still_go_when_its_own_text_no_longer_does(
    demo, recorded, rings, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    incidents, rung = held_texts(rings, capture, 3)
    (ringer,) = Page.objects.filter(pk__in=rung)
    incident_acknowledge(incident=ringer.incident, now=T0 + 30 * timedelta(seconds=1), by=None)
    ring_at(rung, T0 + MINUTE, capture)
    others = [i for i in incidents if i.pk != ringer.incident_id]
    (bundle,) = [s["body"] for s in recorded() if s["kind"] == "sms"][1:]
    assert bundle.startswith("[Plantao] 2 open: ")
    assert all(f"#{incident.number} " in bundle for incident in others)
    assert f"#{ringer.incident.number} " not in bundle
    assert not Page.objects.filter(kind="sms", state="pending").exists()


@pytest.mark.django_db
def test_a_held_text_that_finds_its_turn_moved_on_rings_again_for_it(
    demo, recorded, rings, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    incidents, rung = held_texts(rings, capture, 3)
    (ringer,) = Page.objects.filter(pk__in=rung)
    # The first text took longer to leave than its turn was taken for: the minute counts from
    # when it left (turn_close), a moment after the instant the held texts were given.
    moved = T0 + MINUTE + timedelta(milliseconds=200)
    ContactMethod.objects.filter(pk=ringer.contact_method_id).update(quiet_until=moved)
    rings.clear()
    ring_at(rung, T0 + MINUTE, capture)
    assert [s for s in recorded() if s["kind"] == "sms"][1:] == []
    assert [pk for task, pk in rings if task == doorbell.SEND] == rung  # not left to the sweep
    ring_at(rung, moved, capture)
    (bundle,) = [s["body"] for s in recorded() if s["kind"] == "sms"][1:]
    assert bundle.startswith("[Plantao] 3 open: ")
    assert not Page.objects.filter(kind="sms", state="pending").exists()


@pytest.mark.django_db
def test_a_step_fired_before_the_sweep_records_its_ring_leaves_the_next_step_to_be_rung(
    demo, monkeypatch
):
    incident = fire()
    Incident.objects.filter(pk=incident.pk).update(esc_rung_for=None, esc_rung_at=None)
    rung = []

    def worker_at_once(task, pk, countdown):  # a worker takes the ring before the sweep goes on
        rung.append((task, pk))
        if task == doorbell.ESCALATE:
            engine.escalation_run(incident_id=pk, now=T0)

    monkeypatch.setattr(doorbell, "_send", worker_at_once)
    engine.sweep(now=T0)
    incident.refresh_from_db()
    assert incident.esc_step == 1 and incident.esc_due_at == T0 + 5 * MINUTE
    rung.clear()
    engine.sweep(now=incident.esc_due_at - timedelta(seconds=5))
    assert (doorbell.ESCALATE, incident.pk) in rung  # not left for 30 s as a lost ring


@pytest.mark.django_db
def test_the_policy_is_copied_by_the_first_step_and_kept_from_then_on(demo, workers):
    incident = fire()
    assert incident.policy_snapshot is None  # the request that opened it did not copy it
    workers.run(T0)
    incident.refresh_from_db()
    assert incident.policy_snapshot["steps"][0]["escalate_after_minutes"] == 5


@pytest.mark.django_db
def test_steps_fired_together_keep_each_incident_to_its_own_service_and_policy(
    demo, recorded, rings
):
    edge, auth = Service.objects.get(name="edge"), Service.objects.get(name="auth")
    MaintenanceWindow.objects.create(service=edge, start=T0 - MINUTE, end=T0 + 30 * MINUTE)
    Service.objects.filter(name="cdn").update(escalation_policy=None)
    held = [fire(service="edge", key=f"held-{n}") for n in range(3)]
    paged = [fire(service="auth", key=f"paged-{n}") for n in range(engine.FIRE_BATCH * 2)]
    orphan = fire(service="cdn", key="no-policy")

    assert engine.engine_run(clock=lambda: T0) == len(held) + len(paged) + 1

    primary = on_call("Primary")
    assert sent_to(recorded).count(("email", primary.user.email)) == len(paged)
    assert sent_to(recorded).count(("sms", phone(primary))) == 1  # the rest wait a minute
    for incident in paged:
        assert {p.person_id for p in incident.pages.all()} == {primary.pk}
        incident.refresh_from_db()
        assert incident.esc_step == 1 and incident.esc_due_at == T0 + 5 * MINUTE
        assert incident.timeline.filter(kind="escalated").count() == 1
    for incident in held:
        incident.refresh_from_db()
        assert not incident.pages.exists() and incident.esc_due_at == T0 + 30 * MINUTE
        assert incident.timeline.filter(kind="held").count() == 1
    orphan.refresh_from_db()
    assert not orphan.pages.exists() and orphan.esc_due_at is None
    assert "no escalation policy" in orphan.timeline.get(kind="nobody").message
    assert auth.incidents.count() == len(paged)


@pytest.mark.django_db
def test_at_most_three_calls_to_a_number_in_fifteen_minutes_the_rest_wait(demo, recorded, workers):
    # A minute apart, so that each call is due on its own (calls due together go as one).
    incidents = [fire(service="edge", key=f"call-{n}", at=T0 + n * MINUTE) for n in range(4)]
    workers.run(T0 + 6 * MINUTE)  # the voice rule's 3 minutes, for each
    primary = on_call("Primary")
    voice = primary.contact_methods.get(kind="voice").address
    assert sent_to(recorded).count(("voice", voice)) == 3
    (waiting,) = Page.objects.filter(kind="voice", state="pending", address=voice)
    assert waiting.due_at == T0 + 18 * MINUTE  # the first call's time plus 15 minutes
    for incident in incidents:
        incident_acknowledge(incident=incident, now=T0 + 7 * MINUTE, by=primary, source="sms")
    workers.run(T0 + 30 * MINUTE)
    assert sent_to(recorded).count(("voice", voice)) == 3  # acknowledged meanwhile: not placed


@pytest.mark.django_db
def test_texts_held_in_one_run_are_put_back_together_not_one_by_one(
    demo, recorded, rings, django_capture_on_commit_callbacks
):
    # In a storm to one number the engine must not ask, text by text, whether the number's
    # turn has come and put each back to wait: the first held text answers for the others of
    # its run, and they wait with one statement.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    count = 30
    capture = django_capture_on_commit_callbacks
    with CaptureQueriesContext(connection) as statements:
        incidents, rung = held_texts(rings, capture, count)
    turn_work = [
        q["sql"]
        for q in statements.captured_queries
        if q["sql"].startswith(
            (
                'UPDATE "incidents_page"',  # claimed, put back to wait
                'UPDATE "oncall_contactmethod"',  # the number's turn taken
                'SELECT "oncall_contactmethod"."quiet_until"',  # until when it is taken
                'SELECT 1 AS "a" FROM "incidents_page"',  # a ring already made for that turn
            )
        )
    ]
    # A few for the first text, then the same few whatever the count (one by one: 5 a text).
    assert len(turn_work) < 15, turn_work
    ring_at(rung, T0 + MINUTE, capture)
    texts = [s["body"] for s in recorded() if s["kind"] == "sms"]
    assert len(texts) == 2 and texts[1].startswith(f"[Plantao] {count} open: ")
