"""From monitoring's request to the person on call, for every kind of source.

Each source's real (or documented) payload goes through the HTTP endpoint; the workers' steps
are driven in time order; the recording channel shows who was really paged.
"""

import json
from datetime import timedelta
from pathlib import Path

import pytest

from incidents.models import Incident, Service
from incidents.services.incidents import incident_acknowledge
from incidents.services.integrations import integration_create
from oncall import selectors
from oncall.models import Schedule

from .conftest import T0

CAPTURED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "alertmanager-0.25"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINUTE = timedelta(minutes=1)


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def pagerduty(name: str, token: str) -> dict:
    return _load(CAPTURED / name) | {"routing_key": token}


SOURCES = {
    "alertmanager": (
        lambda token: _load(CAPTURED / "webhook-firing-auth.json"),
        lambda token: _load(CAPTURED / "webhook-resolved-auth.json"),
    ),
    "grafana": (
        lambda token: _load(FIXTURES / "grafana-firing.json"),
        lambda token: _load(FIXTURES / "grafana-resolved.json"),
    ),
    "webhook": (
        lambda token: {"title": "Playback errors above 2%", "status": "firing", "dedup_key": "k1"},
        lambda token: {
            "title": "Playback errors above 2%",
            "status": "resolved",
            "dedup_key": "k1",
        },
    ),
    "pagerduty": (
        lambda token: pagerduty("pagerduty-v2-trigger-auth.json", token),
        lambda token: pagerduty("pagerduty-v2-resolve-auth.json", token),
    ),
}


def post(client, kind: str, token: str, body: dict):
    path = "/v2/enqueue" if kind == "pagerduty" else f"/integrations/{kind}/{token}/"
    response = client.post(path, json.dumps(body), content_type="application/json")
    assert response.status_code == 202, response.content
    return response


@pytest.mark.django_db
@pytest.mark.parametrize("kind", SOURCES)
def test_an_alert_pages_the_on_call_person_then_ack_stops_and_resolve_closes(
    client, demo, recorded, workers, kind
):
    firing, resolved = SOURCES[kind]
    integration, token = integration_create(service=Service.objects.get(name="auth"), kind=kind)
    workers.frozen_now(T0)
    post(client, kind, token, firing(token))
    incidents = list(Incident.objects.filter(service=integration.service))
    assert incidents and all(i.status == "triggered" for i in incidents)

    primary = selectors.oncall_at(schedule=Schedule.objects.get(name="Primary"), at=T0)
    mine = {primary.contact_methods.get(kind="sms").address, primary.user.email}
    workers.run(T0)
    first = recorded()
    assert {s["address"] for s in first} == mine  # the Primary on-call person, SMS and e-mail
    # High urgency: an SMS and an e-mail at once (voice at 3 minutes); low urgency (a warning):
    # the e-mail only. Each once.
    expected = sorted(
        (f"#{i.number}]", kind)
        for i in incidents
        for kind in (("sms", "email") if i.urgency == "high" else ("email",))
    )
    assert sorted((s["subject"].split()[1], s["kind"]) for s in first) == expected
    workers.run(T0 + 5 * MINUTE - timedelta(seconds=1))
    assert {s["address"] for s in recorded()} == mine  # voice at 3 min; nobody else yet

    for incident in incidents:
        incident_acknowledge(incident=incident, now=T0 + 4 * MINUTE, by=primary, source="sms")
    count = len(recorded())
    workers.run(T0 + timedelta(hours=2))
    assert len(recorded()) == count  # acknowledging stopped every step and every page

    workers.frozen_now(T0 + timedelta(hours=2))
    post(client, kind, token, resolved(token))
    assert set(
        Incident.objects.filter(service=integration.service).values_list("status", flat=True)
    ) == {"resolved"}
