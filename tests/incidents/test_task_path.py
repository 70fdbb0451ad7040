"""The production path, end to end: HTTP in, then the real Celery tasks, run by the doorbell as
a worker would run them (eagerly, on commit), with no test driver repeating the engine's guards.

These guard what the embedded default (SQLite) otherwise only protects by luck: the database's
unique index of open incidents, and that only a triggered incident escalates.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache

from incidents.demo import demo_load
from incidents.models import Incident, Page, Service, TimelineEntry
from incidents.services import alerts, doorbell
from incidents.services.incidents import incident_acknowledge
from oncall import selectors
from oncall.config.celery import app
from oncall.models import Schedule

from .conftest import T0, make_integration

MINUTE = timedelta(minutes=1)


@pytest.fixture
def worker(monkeypatch, settings, tmp_path, frozen_now):
    """Run every task the code queues at once, in this process, as a worker would run it."""
    app.loader.import_default_modules()  # the tasks a worker registers as it starts
    eager = {"task_always_eager": True, "task_eager_propagates": True}
    saved = {name: app.conf.get(name) for name in eager}
    app.conf.update(eager)
    # Each commit rings its own engine run: coalescing rings within 50 ms of real time is an
    # economy for storms, and would make what runs here depend on how fast the test goes.
    monkeypatch.setattr(doorbell, "BELL_SECONDS", 1e-9)
    monkeypatch.setattr(doorbell, "_rung_slice", -1)
    cache.clear()
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "pages.jsonl")
    frozen_now(T0)
    yield frozen_now
    app.conf.update(saved)


@pytest.fixture
def org(transactional_db):
    return demo_load()


def post_alert(client, service: Service, key: str) -> int:
    """Send a firing alert as monitoring does; return the incident number it answered with."""
    token = f"webhook-{service.pk}-token"
    if not service.integrations.filter(kind="webhook").exists():
        make_integration(service)
    response = client.post(
        f"/integrations/webhook/{token}/",
        {"title": "Disk full", "status": "firing", "dedup_key": key, "severity": "critical"},
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    return response.json()["alerts"][0]["incident"]


def texts_to(person, recorded) -> list[dict]:
    number = person.contact_methods.get(kind="sms").address
    return [s for s in recorded if s["kind"] == "sms" and s["address"] == number]


def sent(settings) -> list[dict]:
    from oncall.channels.recording import sends

    return sends(settings.PLANTAO_RECORDING_PATH)


def test_one_alert_sent_twice_to_two_web_processes_opens_one_incident_and_one_page(
    org, worker, client, settings
):
    edge = Service.objects.get(name="edge")
    primary = selectors.oncall_at(schedule=Schedule.objects.get(name="Primary"), at=T0)
    first = post_alert(client, edge, "disk-full")
    # The repeat reaches another web process, which has not seen the key open: only the
    # database's unique index of open incidents can join it to the first.
    alerts._seen_open.clear()
    worker(T0 + timedelta(seconds=2))
    second = post_alert(client, edge, "disk-full")
    assert second == first
    assert Incident.objects.filter(service=edge).count() == 1
    assert len(texts_to(primary, sent(settings))) == 1


def about(number: int, recorded: list[dict]) -> list[dict]:
    return [s for s in recorded if f"#{number}" in s["subject"] + s["body"]]


def test_an_acknowledged_incident_never_escalates_whatever_rings_the_engine(
    org, worker, client, settings
):
    edge, auth = Service.objects.get(name="edge"), Service.objects.get(name="auth")
    primary = selectors.oncall_at(schedule=Schedule.objects.get(name="Primary"), at=T0)
    number = post_alert(client, edge, "disk-full")
    incident = Incident.objects.get(pk=number)  # its number is its id
    assert len(texts_to(primary, sent(settings))) == 1  # the first step, through the tasks
    before = about(number, sent(settings))
    worker(T0 + MINUTE)
    incident_acknowledge(incident=incident, now=T0 + MINUTE, by=primary, source="api")
    # Long after every step was due: an alert elsewhere rings the engine, a doorbell rung before
    # the acknowledgement arrives late, and the scheduler sweeps (queued by name, from beat).
    worker(T0 + 40 * MINUTE)
    post_alert(client, auth, "latency")
    doorbell.publish(doorbell.ESCALATE, [incident.pk])
    doorbell.publish(doorbell.ENGINE, [])
    doorbell.publish("incidents.tasks.engine_sweep", [])
    assert Incident.objects.get(service=auth).pages.exists()  # the engine did run
    incident.refresh_from_db()
    assert incident.status == Incident.Status.ACKNOWLEDGED
    assert about(number, sent(settings)) == before  # nobody was paged for it again
    assert not Page.objects.filter(incident=incident, step__gt=0).exists()
    assert not incident.timeline.filter(kind=TimelineEntry.Kind.ESCALATED, at__gt=T0).exists()
