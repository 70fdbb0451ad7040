"""Chaos: the engine pages everyone once, whatever races, crashes or flushed brokers happen.

These run on a real PostgreSQL and Redis. The storm and end-to-end tests start real Celery
workers and schedulers (tests/incidents/chaos.py), on a Redis database of their own, and count
every send in a file-backed recording channel, duplicates included.

Run them in one process, not under pytest-xdist: they share one Redis database. The flush test
empties every database the fleet uses (its broker and its cache), as a Redis that lost
everything would; other databases of the server, which other test runs may be using, are left.
"""

import heapq
import os
import random
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse

from incidents import checks
from incidents.demo import demo_load
from incidents.ingest.base import AlertEvent
from incidents.models import (
    Alert,
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
from incidents.services.integrations import integration_create
from oncall import clock, selectors
from oncall.channels.recording import sends
from oncall.config import celery as celery_module
from oncall.models import NotificationRule, Schedule

from . import chaos
from .conftest import T0, make_integration

CAPTURED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "alertmanager-0.25"

THREADS = 50
CALLS = 20  # per thread: 1,000 in all
STORM_ALERTS = 1000
STORM_BATCH = 10  # alerts per transaction, so each batch's doorbells ring on its commit
STORM_SETTLE_SECONDS = 150
SMS_SPACING_SECONDS = 5  # the workers' noise control: one text to a number every 5 s
HOLD_SECONDS = timedelta(seconds=3 * SMS_SPACING_SECONDS)  # longer than a text may be held


# --- Helpers -------------------------------------------------------------------------------


def concurrently(work, threads: int = THREADS) -> None:
    """Run `work(n)` in `threads` threads released together, each on its own connection."""
    barrier = threading.Barrier(threads)
    errors = []

    def run(n):
        try:
            barrier.wait(timeout=30)
            work(n)
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)
        finally:
            connection.close()

    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    deadline = time.monotonic() + 120
    for thread in pool:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not [t for t in pool if t.is_alive()], "threads still running after 120 s"
    assert not errors, f"{len(errors)} threads failed, the first with {errors[0]!r}"


def trigger(integration, key: str, at, title="Disk full"):
    (result,) = alerts_ingest(
        integration=integration,
        events=[AlertEvent(action="trigger", dedup_key=key, title=title, severity="critical")],
        now=at,
    )
    return result


# --- 1. Dedup under 1,000 concurrent alerts ------------------------------------------------


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("keys", [1, 100], ids=["one-key", "hundred-keys"])
def test_a_thousand_concurrent_alerts_open_one_incident_per_dedup_key(rings, keys):
    demo_load()
    integration = make_integration(Service.objects.get(name="edge"))
    results = []  # list.append is atomic: the threads share it safely

    def work(thread):
        for call in range(CALLS):
            key = f"disk-full-{(thread * CALLS + call) % keys}"
            results.append(trigger(integration, key, T0))

    concurrently(work)

    assert Incident.objects.count() == keys
    assert sum(result.created for result in results) == keys
    assert len({result.incident_number for result in results}) == keys
    assert Alert.objects.count() == THREADS * CALLS
    assert not Alert.objects.filter(incident=None).exists()
    per_incident = Incident.objects.annotate(n=Count("alerts")).values_list("n", flat=True)
    assert sorted(per_incident) == [THREADS * CALLS // keys] * keys


# --- 2. Fifty claimers ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_claimers_send_each_page_once(rings, recorded):
    demo_load()
    integration = make_integration(Service.objects.get(name="edge"))
    for n in range(40):
        trigger(integration, f"claim-{n}", T0)
    for pk in Incident.objects.values_list("pk", flat=True):
        assert engine.escalation_fire(incident_id=pk, now=T0)
    made = list(Page.objects.values_list("pk", flat=True))
    assert len(made) >= 100
    due = T0 + timedelta(minutes=4)  # past the voice rule's 3 minutes: every page is due

    def work(thread):
        order = made[:]
        random.Random(thread).shuffle(order)
        for pk in order:
            pages.page_send(page_id=pk, now=due)

    concurrently(work)

    sent = Counter(
        reference for s in recorded() for reference in [s["reference"], *s.get("also", ())]
    )
    assert [ref for ref, n in sent.items() if n > 1] == []
    # Each page went out once, alone or in a bundled text, or waits for its number's turn
    # (noise control: one text a minute, three calls in 15 minutes): none lost, none twice.
    sent_pages = Page.objects.filter(state=Page.State.SENT)
    held = Page.objects.filter(state=Page.State.PENDING, due_at__gt=due)
    assert sent_pages.count() + held.count() == len(made)
    assert set(sent) == {page.reference for page in sent_pages}
    assert set(sent_pages.values_list("attempts", flat=True)) == {1}
    assert {p.kind for p in held} <= {"sms", "voice"}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_two_incidents_of_one_service_fire_at_the_same_time(rings, monkeypatch):
    """Firing one incident must not lock its service: another of the service fires meanwhile."""
    demo_load()
    integration = make_integration(Service.objects.get(name="edge"))
    first = trigger(integration, "first", T0).incident_number
    second = trigger(integration, "second", T0).incident_number
    inside, leave = threading.Event(), threading.Event()
    resolve = engine.targets_resolve

    def resolve_slowly(**kwargs):
        if kwargs["incident_number"] == first:  # hold the first firing open, mid-transaction
            inside.set()
            leave.wait(timeout=10)
        return resolve(**kwargs)

    monkeypatch.setattr(engine, "targets_resolve", resolve_slowly)
    fired = []

    def fire_first():
        try:
            fired.append(engine.escalation_fire(incident_id=first, now=T0))
        finally:
            connection.close()

    thread = threading.Thread(target=fire_first)
    thread.start()
    try:
        assert inside.wait(timeout=10), "the first incident never started firing"
        second_fired = engine.escalation_fire(incident_id=second, now=T0)
    finally:
        leave.set()
        thread.join(timeout=10)
    assert len(fired) == 1 and fired[0] is not None
    assert second_fired, "the second incident's doorbell was spent and nothing fired"


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_step_rung_while_its_row_is_held_for_a_moment_fires_from_that_ring(rings):
    """The sweep records that it rang a step (an UPDATE of the incident's row) after ringing
    it: a worker quick to take the ring finds the row locked. It must wait and fire the step,
    not give the ring up and leave the step for the sweep to take as lost, 30 s on."""
    demo_load()
    integration = make_integration(Service.objects.get(name="edge"))
    number = trigger(integration, "held-row", T0).incident_number
    inside, leave, fired = threading.Event(), threading.Event(), []

    def hold_row():
        try:
            with transaction.atomic():
                Incident.objects.filter(pk=number).update(esc_rung_at=T0)
                inside.set()
                leave.wait(timeout=10)
        finally:
            connection.close()

    def fire():
        try:
            fired.append(engine.escalation_fire(incident_id=number, now=T0))
        finally:
            connection.close()

    holder, firer = threading.Thread(target=hold_row), threading.Thread(target=fire)
    holder.start()
    try:
        assert inside.wait(timeout=10), "the row was never held"
        firer.start()
        deadline = time.monotonic() + 10
        while firer.is_alive() and not _waiting_on_a_lock() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        leave.set()
        holder.join(timeout=10)
        firer.join(timeout=10)
    assert len(fired) == 1 and fired[0] is not None, "the ring was spent and nothing fired"
    assert TimelineEntry.objects.filter(incident_id=number, kind="escalated").count() == 1


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            [connection.settings_dict["NAME"]],
        )
        return cursor.fetchone()[0] > 0


# --- 3 and 4. Storms: killed workers, a flushed broker -------------------------------------


@pytest.fixture
def broker(monkeypatch):
    """A Redis database of the chaos tests' own, flushed before and after; doorbells ring it."""
    url = chaos.redis_url()
    client = redis.Redis.from_url(url)
    client.flushdb()
    # Celery prefers this variable to any configured URL, so it must change too.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    app = Celery("plantao-chaos", broker=url, set_as_current=False)
    assert app.connection_for_write().as_uri().endswith(f"/{chaos.BROKER_DB}")
    # The doorbell imports the app when it rings: this test's processes hear this test's bells.
    monkeypatch.setattr(celery_module, "app", app)
    yield type("Broker", (), {"url": url, "client": client, "app": app})
    app.close()
    client.flushdb()
    client.close()


@pytest.fixture
def fleet(transactional_db, broker, tmp_path, settings):
    """Start Celery processes on the test database; SIGKILL whatever is left at the end."""
    recording = tmp_path / "pages.jsonl"
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(recording)
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("REDIS_URL", "PYTEST_CURRENT_TEST")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="oncall.config.settings.local",
        DATABASE_URL=chaos.database_url(connection.settings_dict["NAME"]),
        CELERY_BROKER_URL=broker.url,
        PLANTAO_CHANNEL="recording",
        PLANTAO_RECORDING_PATH=str(recording),
        PLANTAO_ENGINE_STUCK_SECONDS="3",
        PLANTAO_ENGINE_LEASE_SECONDS="5",
        PLANTAO_SWEEP_SECONDS="1",
        # Noise control as in production, only quicker: texts held 5 s, not a minute.
        PLANTAO_SMS_SPACING_SECONDS=str(SMS_SPACING_SECONDS),
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "celerybeat-schedule"),
        LOG_LEVEL="WARNING",
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    fleet = chaos.Fleet(env=env, logs=logs, recording=recording)
    try:
        yield fleet
    finally:
        fleet.kill_all()


@pytest.fixture
def storm_org(transactional_db):
    """The demo organisation as it is, with one integration a service.

    Its delays stay: each incident's SMS and e-mail are due at once, its voice call 3 minutes
    later and step 2 after 5, past the end of the test. So the storm tests assert on the pages
    due when the engine settles (two thousand), and that the voice calls, not due, wait.
    """
    demo_load()
    return [make_integration(service) for service in Service.objects.order_by("name")]


def storm(integrations, after_batch) -> None:
    """Ingest STORM_ALERTS alerts with distinct keys, spread over the services, in batches."""
    for start in range(0, STORM_ALERTS, STORM_BATCH):
        integration = integrations[(start // STORM_BATCH) % len(integrations)]
        events = [
            AlertEvent(
                action="trigger",
                dedup_key=f"storm-{n}",
                title=f"Storm alert {n}",
                severity="critical",
            )
            for n in range(start, start + STORM_BATCH)
        ]
        alerts_ingest(integration=integration, events=events, now=clock.now())
        after_batch(start + STORM_BATCH)


def engine_settled():
    """Return the instant at which nothing is due, held, sending or unfired, else None.

    Held: a text waiting for its number's turn (noise control: one a minute), which then goes
    out bundled with the others held meanwhile."""
    now = clock.now()
    unfired = Incident.objects.filter(status="triggered", esc_step=0, esc_loop=0).exists()
    held = now + HOLD_SECONDS
    busy = Page.objects.filter(
        Q(state="pending", due_at__lte=now)
        | Q(state="pending", kind="sms", due_at__lte=held)
        # A text or e-mail put off further (a retry's backoff on a loaded machine) still counts:
        # only the calls, due minutes later by their rule, are left for after.
        | (Q(state="pending") & ~Q(kind="voice"))
        | Q(state="sending")
    ).exists()
    return None if unfired or busy else now


def engine_state(fleet) -> str:
    states = dict(Page.objects.values_list("state").annotate(n=Count("pk")))
    unfired = Incident.objects.filter(status="triggered", esc_step=0, esc_loop=0).count()
    return (
        f"incidents {Incident.objects.count()}, unfired {unfired}, pages {states}, "
        f"recorded {len(sends(fleet.recording))}\n{fleet.log_tail()}"
    )


def assert_every_page_sent_once(recording, settled_at) -> None:
    """Nothing lost: every incident paged its on-call person once per rule, and each page went
    out. Nothing repeated: one row per page key, one send per page."""
    assert Incident.objects.count() == STORM_ALERTS
    assert set(Incident.objects.values_list("status", "esc_step", "esc_loop")) == {
        ("triggered", 1, 0)
    }
    high_rules = defaultdict(set)
    for person, rule in NotificationRule.objects.filter(
        urgency="high", contact_method__verified_at__isnull=False
    ).values_list("person_id", "pk"):
        high_rules[person].add(rule)
    paged = defaultdict(set)
    for incident, step, person, rule in Page.objects.values_list(
        "incident_id", "step", "person_id", "rule_id"
    ):
        assert step == 0, "a later step fired during the test"
        paged[incident].add((person, rule))
    assert len(paged) == STORM_ALERTS, "some incidents paged nobody"
    for incident, keys in paged.items():
        people = {person for person, _ in keys}
        assert len(people) == 1, f"incident {incident} paged {people} in its first step"
        assert {rule for _, rule in keys} == high_rules[people.pop()], f"incident {incident}"
    twice = (
        Page.objects.values("incident", "step", "loop", "person", "rule_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not twice.exists()
    due = Page.objects.filter(due_at__lte=settled_at)
    assert due.count() >= 2 * STORM_ALERTS  # an SMS and an e-mail each, at least
    assert dict(due.values_list("state").annotate(n=Count("pk"))) == {"sent": due.count()}
    # Voice calls that fell due after the engine settled may have gone out since: allowed once.
    later = Page.objects.exclude(pk__in=due)
    assert set(later.values_list("state", flat=True)) <= {"pending", "sending", "sent"}
    recorded = chaos.references(recording)
    assert [ref for ref, n in recorded.items() if n > 1] == [], "a page was sent twice"
    due_refs = {Page(pk=pk).reference for pk in due.values_list("pk", flat=True)}
    assert due_refs <= set(recorded), "a due page was never sent"
    late_refs = {
        Page(pk=pk).reference for pk in later.exclude(state="pending").values_list("pk", flat=True)
    }
    assert set(recorded) <= due_refs | late_refs, "a page not due was sent"


def storm_run(fleet, integrations, chaos_strikes) -> None:
    """Start two workers and two schedulers, ingest the storm, strike once some pages have gone
    out, then wait until the engine settles and check what it sent."""
    started = time.monotonic()
    fleet.beat("beat-1")
    fleet.beat("beat-2")  # two schedulers at once, as on two machines
    fleet.worker("worker-1")
    fleet.worker("worker-2")
    struck = []

    def after_batch(done):
        if struck or done < STORM_ALERTS * 3 // 10:
            return
        chaos.wait_until(
            lambda: len(sends(fleet.recording)) >= 50,
            timeout=60,
            what="the workers to send their first 50 pages",
            explain=lambda: engine_state(fleet),
        )
        fleet.check_alive()
        struck.append(chaos_strikes(done))

    storm(integrations, after_batch)
    ingested = time.monotonic() - started
    settled_at = chaos.wait_until(
        engine_settled,
        timeout=STORM_SETTLE_SECONDS,
        what="every incident to fire its first step and every due page to go out",
        every=0.5,
        explain=lambda: engine_state(fleet),
    )
    fleet.check_alive()
    took = time.monotonic() - started
    fleet.kill_all()  # freeze the state the assertions read
    print(
        f"\nstorm: {STORM_ALERTS} alerts ingested in {ingested:.1f} s; {struck[0]}; "
        f"settled after {took:.1f} s with {len(sends(fleet.recording))} sends"
    )
    assert_every_page_sent_once(fleet.recording, settled_at)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_killing_every_worker_mid_storm_loses_no_page_and_repeats_none(fleet, broker, storm_org):
    def kill_and_restart(done):
        # Best effort: strike while a page is claimed but not yet recorded as sent.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not Page.objects.filter(state="sending").exists():
            time.sleep(0.002)
        fleet.kill("worker-1")
        fleet.kill("worker-2")
        sent = len(sends(fleet.recording))
        taken = broker.client.hlen("unacked")  # taken by the dead workers, never acknowledged
        sending = Page.objects.filter(state="sending").count()
        fleet.worker("worker-3")
        fleet.worker("worker-4")
        return (
            f"both workers SIGKILLed after {done} alerts and {sent} sends, holding {taken} "
            f"unacknowledged messages and {sending} pages mid-send"
        )

    storm_run(fleet, storm_org, kill_and_restart)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_flushing_redis_mid_storm_loses_no_page_and_repeats_none(fleet, broker, storm_org):
    def flush(done):
        sent = len(sends(fleet.recording))
        queued = broker.client.llen("celery") + broker.client.hlen("unacked")
        if os.environ.get("REDIS_URL", "").startswith("redis"):
            cache = redis.Redis.from_url(os.environ["REDIS_URL"])
            cache.flushdb()  # the cache the fleet shares: Redis lost everything it held for us
            cache.close()
        assert broker.client.flushdb()  # the broker last: the workers write to it all the time
        return f"Redis emptied after {done} alerts and {sent} sends, dropping {queued} messages"

    storm_run(fleet, storm_org, flush)


# --- 5. A two-hour step delay under a 300-second visibility timeout ------------------------

VISIBILITY_TIMEOUT = timedelta(seconds=300)
TASKS = {
    "incidents.tasks.engine_run": lambda _, at: engine.engine_run(clock=lambda: at),
    "incidents.tasks.escalation_fire": lambda pk, at: engine.escalation_run(incident_id=pk, now=at),
    "incidents.tasks.page_send": lambda pk, at: pages.page_send(page_id=pk, now=at),
    "incidents.tasks.page_reconcile": lambda pk, at: pages.page_reconcile(page_id=pk, now=at),
}


class SimulatedRedis:
    """Deliver each ring when its countdown ends, and again when the visibility timeout ends,
    as Redis does when the worker that took the message died before acknowledging it."""

    def __init__(self, now):
        self.now = now
        self.rings = []
        self.queue = []

    def send(self, task, object_id, countdown):
        self.rings.append((task, object_id, countdown))
        ready = self.now + timedelta(seconds=max(0.0, countdown))
        for at in (ready, max(ready, self.now + VISIBILITY_TIMEOUT)):
            heapq.heappush(self.queue, (at, len(self.rings), task, object_id))

    def run_until(self, until):
        while self.queue and self.queue[0][0] <= until:
            at, _, task, object_id = heapq.heappop(self.queue)
            self.now = at
            TASKS[task](object_id, at)
        self.now = until


def sweep_times(step_due):
    """Every 5 s while anything can happen (the first ten minutes: rings, the voice call, their
    redeliveries; two minutes either side of the step), every 5 minutes in between."""
    five = timedelta(seconds=5)
    busy = [T0 + n * five for n in range(120)]
    quiet = [T0 + timedelta(minutes=n) for n in range(10, 118, 5)]
    around = [step_due - timedelta(minutes=2) + n * five for n in range(49)]
    return busy + quiet + around


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_two_hour_step_delay_fires_once_and_on_time_under_redelivery(monkeypatch, recorded):
    team = demo_load()
    policy = EscalationPolicy.objects.create(name="Two hours", team=team, repeat=0)
    first = EscalationStep.objects.create(policy=policy, position=0, escalate_after_minutes=120)
    EscalationTarget.objects.create(
        step=first, kind="schedule", schedule=Schedule.objects.get(name="Primary")
    )
    second = EscalationStep.objects.create(policy=policy, position=1, escalate_after_minutes=5)
    EscalationTarget.objects.create(step=second, kind="person", person=team.manager)
    service = Service.objects.create(name="slow", team=team, escalation_policy=policy)
    simulated = SimulatedRedis(T0)
    monkeypatch.setattr(doorbell, "_send", simulated.send)

    incident = Incident.objects.get(
        pk=trigger(make_integration(service), "slow", T0).incident_number
    )
    simulated.run_until(T0 + timedelta(seconds=1))  # the engine's ring waits out its 50 ms slice
    assert incident.pages.filter(step=0).exists(), "step 1 did not fire at T0"
    step_due = incident.pages.filter(step=0).first().created_at + timedelta(hours=2)
    for tick in sweep_times(step_due):
        simulated.run_until(tick)
        engine.sweep(now=tick)
        if tick < step_due:
            assert not incident.pages.filter(step=1).exists(), f"step 2 fired early, at {tick}"
    simulated.run_until(step_due + timedelta(minutes=3))

    assert max(countdown for _, _, countdown in simulated.rings) <= 60
    step_two = incident.pages.filter(step=1)
    assert (
        step_two.count()
        == NotificationRule.objects.filter(person=team.manager, urgency="high").count()
    )
    assert {page.created_at for page in step_two} == {step_due}
    fired = TimelineEntry.objects.filter(incident=incident, kind="escalated", data__step=1)
    assert list(fired.values_list("at", flat=True)) == [step_due]
    sent = Counter(s["reference"] for s in recorded())
    assert set(sent.values()) == {1}
    rung = Counter(task.rsplit(".", 1)[1] for task, _, _ in simulated.rings)
    print(f"\nrings, each delivered twice: {dict(rung)}; sweeps: {len(sweep_times(step_due))}")


def test_the_system_check_refuses_a_visibility_timeout_a_countdown_could_outlive(settings):
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60}
    assert [e.id for e in checks.visibility_timeout_check(None)] == ["incidents.E001"]
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300}
    assert checks.visibility_timeout_check(None) == []


# --- 6. End to end -------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_an_alertmanager_alert_reaches_the_primary_by_sms_and_stops_when_acknowledged(
    fleet, broker
):
    demo_load()
    integration, token = integration_create(
        service=Service.objects.get(name="edge"), kind="alertmanager"
    )
    url = reverse("incidents:ingest-alertmanager", kwargs={"token": token})
    fleet.beat("beat")
    fleet.worker("worker")
    chaos.wait_until(
        lambda: broker.app.control.ping(timeout=0.5),
        timeout=60,
        what="the worker to answer a ping",
        explain=fleet.log_tail,
    )
    primary = selectors.oncall_at(schedule=Schedule.objects.get(name="Primary"), at=clock.now())
    phone = primary.contact_methods.get(kind="sms").address
    client = Client()

    posted = time.monotonic()
    response = client.post(
        url, (CAPTURED / "webhook-firing-auth.json").read_bytes(), content_type="application/json"
    )
    assert response.status_code == 202, response.content
    sms = chaos.wait_until(
        lambda: [s for s in sends(fleet.recording) if (s["kind"], s["address"]) == ("sms", phone)],
        timeout=10,
        every=0.02,
        what=f"an SMS to {primary.display_name} ({phone})",
        explain=fleet.log_tail,
    )
    latency = time.monotonic() - posted
    print(f"\nalert to SMS: {latency:.2f} s")
    assert len(sms) == 1
    incident = Incident.objects.get(pk=response.json()["alerts"][0]["incident"])
    assert sms[0]["reference"] in {p.reference for p in incident.pages.filter(kind="sms")}

    # Whatever is due now goes out; then the acknowledgement stops the rest.
    chaos.wait_until(
        lambda: (
            not incident.pages.filter(
                Q(state="pending", due_at__lte=clock.now()) | Q(state="sending")
            ).exists()
        ),
        timeout=10,
        what="the incident's due pages to go out",
    )
    assert incident_acknowledge(incident=incident, now=clock.now(), by=primary, source="web")
    before = len(sends(fleet.recording))
    # As if the voice call's 3 minutes and step 2's 5 had passed: still nothing may go out.
    now = clock.now()
    incident.pages.update(due_at=now)
    Incident.objects.filter(pk=incident.pk).update(esc_due_at=now)
    time.sleep(4)  # four sweeps
    fleet.check_alive()
    assert len(sends(fleet.recording)) == before
    assert set(incident.pages.values_list("state", flat=True)) <= {"sent", "cancelled"}
    assert incident.pages.filter(kind="voice", state="cancelled").exists()

    response = client.post(
        url, (CAPTURED / "webhook-resolved-auth.json").read_bytes(), content_type="application/json"
    )
    assert response.status_code == 202, response.content
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert len(sends(fleet.recording)) == before
