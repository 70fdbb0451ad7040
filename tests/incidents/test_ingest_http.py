"""The inbound endpoints over HTTP: real captured payloads replayed as they are, and every refusal
a 4xx with a JSON body naming what is wrong, having stored nothing."""

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client

from incidents.models import Alert, Incident, Integration, Service, TimelineEntry
from incidents.services.alerts import heartbeats_overdue
from incidents.services.integrations import integration_create
from oncall.models import Team

CAPTURED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "alertmanager-0.25"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
T0 = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)
KINDS = ("alertmanager", "grafana", "webhook", "pagerduty", "heartbeat")
LIMIT = 512 * 1024
UNKNOWN_TOKEN = "A" * 32


def captured(name: str) -> dict:
    return json.loads((CAPTURED / name).read_text())


def grafana_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def service(db):
    team = Team.objects.create(name="Platform SRE", slug="platform-sre")
    return Service.objects.create(name="playback", team=team)


@pytest.fixture
def tokens(service, frozen_now):
    frozen_now(T0)
    made = {}
    for kind in KINDS:
        interval = 300 if kind == "heartbeat" else None
        _, made[kind] = integration_create(
            service=service, kind=kind, heartbeat_interval_seconds=interval, now=T0
        )
    return made


def url(kind: str, token: str) -> str:
    return "/v2/enqueue" if kind == "pagerduty" else f"/integrations/{kind}/{token}/"


def send(client, kind: str, token: str, body):
    """Send `body` (a JSON value, or raw bytes as they are) to `kind`'s endpoint with `token`."""
    if kind == "pagerduty" and isinstance(body, dict):
        body = {**body, "routing_key": token}
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(url(kind, token), data=data, content_type="application/json")


def stored() -> tuple:
    """What a refused request must not change."""
    return (
        Alert.objects.count(),
        Incident.objects.count(),
        TimelineEntry.objects.count(),
        list(Integration.objects.order_by("pk").values_list("last_seen_at", "heartbeat_due_at")),
    )


def assert_refused(response, status: int, field: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    if "error" in body:
        assert field in body["error"]["fields"], body
        assert body["error"]["message"]
    else:  # PagerDuty's shape: its errors are sentences that name the field
        assert body["status"] == "invalid event" and body["message"], body
        assert any(field in error for error in body["errors"]), body


def valid(kind: str):
    return {
        "alertmanager": captured("webhook-firing-one-alert.json"),
        "grafana": grafana_fixture("grafana-firing.json"),
        "webhook": {"title": "Backup failed", "status": "firing"},
        "pagerduty": captured("pagerduty-v2-trigger-one.json"),
        "heartbeat": {},
    }[kind]


def changed(kind: str, change) -> dict:
    body = copy.deepcopy(valid(kind))
    change(body)
    return body


MALFORMED = b'{"version": "4", "alerts": ['
OVERSIZED = b'{"pad": "' + b"x" * LIMIT + b'"}'


def first_alert(**fields):
    return lambda body: body["alerts"][0].update(fields)


def pd_payload(**fields):
    return lambda body: body["payload"].update(fields)


# (kind, case, body, status, the field the answer must name)
REFUSALS = [
    *(
        (kind, "malformed JSON", MALFORMED, 400, "JSON" if kind == "pagerduty" else "body")
        for kind in ("alertmanager", "grafana", "webhook", "pagerduty")
    ),
    *(
        (kind, "not an object", [1, 2], 400, "JSON object" if kind == "pagerduty" else "body")
        for kind in ("alertmanager", "grafana", "webhook", "pagerduty")
    ),
    (
        "alertmanager",
        "wrong type",
        changed("alertmanager", lambda b: b.update(alerts="x")),
        400,
        "alerts",
    ),
    (
        "alertmanager",
        "wrong version",
        changed("alertmanager", lambda b: b.update(version="3")),
        400,
        "version",
    ),
    (
        "alertmanager",
        "no fingerprint",
        changed("alertmanager", first_alert(fingerprint=None)),
        400,
        "alerts[0].fingerprint",
    ),
    (
        "alertmanager",
        "unknown status",
        changed("alertmanager", first_alert(status="pending")),
        400,
        "alerts[0].status",
    ),
    (
        "grafana",
        "wrong type",
        changed("grafana", first_alert(labels=["x"])),
        400,
        "alerts[0].labels",
    ),
    (
        "grafana",
        "unknown status",
        changed("grafana", first_alert(status="alerting")),
        400,
        "alerts[0].status",
    ),
    ("webhook", "wrong type", {"title": 5, "status": "firing"}, 400, "title"),
    ("webhook", "unknown status", {"title": "x", "status": "open"}, 400, "status"),
    ("webhook", "NUL character", {"title": "a\u0000b", "status": "firing"}, 400, "body"),
    ("webhook", "NaN", b'{"title": "x", "status": "firing", "details": {"v": NaN}}', 400, "body"),
    (
        "pagerduty",
        "wrong type",
        changed("pagerduty", pd_payload(severity=3)),
        400,
        "payload.severity",
    ),
    (
        "pagerduty",
        "unknown event_action",
        changed("pagerduty", lambda b: b.update(event_action="snooze")),
        400,
        "event_action",
    ),
    (
        "pagerduty",
        "no summary",
        changed("pagerduty", pd_payload(summary="")),
        400,
        "payload.summary",
    ),
    ("pagerduty", "resolve without dedup_key", {"event_action": "resolve"}, 400, "dedup_key"),
    *((kind, "oversized body", OVERSIZED, 413, "body") for kind in KINDS),
]


@pytest.mark.parametrize(
    "kind, body, status, field",
    [
        pytest.param(kind, body, status, field, id=f"{kind}: {case}")
        for kind, case, body, status, field in REFUSALS
    ],
)
def test_bad_requests_are_refused_naming_the_field_and_store_nothing(
    client, tokens, kind, body, status, field
):
    before = stored()
    response = send(client, kind, tokens[kind], body)
    assert_refused(response, status, field)
    assert stored() == before


@pytest.mark.parametrize("kind", KINDS)
def test_an_unknown_token_is_refused_and_stores_nothing(client, tokens, kind):
    before = stored()
    response = send(client, kind, UNKNOWN_TOKEN, valid(kind))
    if kind == "pagerduty":
        assert_refused(response, 400, "Invalid routing key")
    else:
        assert_refused(response, 404, "token")
        assert response.json()["error"]["code"] == "unknown_integration"
    assert stored() == before


@pytest.mark.parametrize("kind", KINDS)
def test_a_token_of_another_kind_is_as_good_as_unknown(client, tokens, kind):
    other = "webhook" if kind != "webhook" else "alertmanager"
    before = stored()
    response = send(client, kind, tokens[other], valid(kind))
    if kind == "pagerduty":
        assert_refused(response, 400, "Invalid routing key")
    else:
        assert_refused(response, 404, "token")
    assert stored() == before


@pytest.mark.parametrize(
    "routing_key, problem",
    [(None, "'routing_key' is missing"), ("short", "Length of 'routing_key' is incorrect")],
)
def test_pagerduty_routing_key_problems(client, tokens, routing_key, problem):
    body = captured("pagerduty-v2-trigger-one.json")
    body["routing_key"] = routing_key
    before = stored()
    response = client.post("/v2/enqueue", body, content_type="application/json")
    assert_refused(response, 400, problem)
    assert stored() == before


def test_one_bad_alert_refuses_the_whole_request(client, tokens):
    body = captured("webhook-firing-two-alerts.json")
    del body["alerts"][1]["fingerprint"]
    before = stored()
    response = send(client, "alertmanager", tokens["alertmanager"], body)
    assert_refused(response, 400, "alerts[1].fingerprint")
    assert response.json()["error"]["code"] == "invalid_payload"
    assert stored() == before


def test_malformed_json_says_where(client, tokens):
    response = send(client, "webhook", tokens["webhook"], b'{"title": "x",, }')
    error = response.json()["error"]
    assert error["code"] == "invalid_json"
    assert "line 1, column 15" in error["fields"]["body"]


@pytest.mark.parametrize("kind", ("alertmanager", "grafana", "webhook", "pagerduty"))
def test_only_post_is_allowed(client, tokens, kind):
    response = client.get(url(kind, tokens[kind]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response["Content-Type"] == "application/json"


def test_a_body_over_djangos_own_limit_is_a_json_413_not_an_html_400(client, tokens, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"title": "x", "status": "firing", "details": {"pad": "x" * 2000}}
    before = stored()
    assert_refused(send(client, "webhook", tokens["webhook"], body), 413, "body")
    assert stored() == before


def test_a_body_of_exactly_512_kib_is_accepted(client, tokens):
    body = {"title": "Backup failed", "status": "firing", "details": {"pad": ""}}
    body["details"]["pad"] = "x" * (LIMIT - len(json.dumps(body)))
    assert len(json.dumps(body)) == LIMIT
    assert send(client, "webhook", tokens["webhook"], body).status_code == 202


def test_no_csrf_token_is_needed(tokens):
    client = Client(enforce_csrf_checks=True)
    assert send(client, "webhook", tokens["webhook"], valid("webhook")).status_code == 202


# Rate limits: each test its own second, so no other test's requests count against it.


def test_over_the_rate_limit_is_429_with_retry_after_and_stores_nothing(
    client, service, frozen_now
):
    at = frozen_now(datetime(2031, 5, 6, 7, 8, 9, 250000, tzinfo=UTC))
    _, token = integration_create(service=service, kind="webhook", rate_limit_per_second=2, now=at)
    body = {"title": "Flapping", "status": "firing", "dedup_key": "flap"}
    assert [send(client, "webhook", token, body).status_code for _ in range(2)] == [202, 202]
    before = stored()
    response = send(client, "webhook", token, body)
    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "rate_limited"
    assert stored() == before
    frozen_now(at + timedelta(seconds=1))
    assert send(client, "webhook", token, body).status_code == 202


def test_pagerduty_rate_limit_answers_like_pagerduty(client, service, frozen_now):
    at = frozen_now(datetime(2031, 5, 7, 7, 8, 9, tzinfo=UTC))
    _, token = integration_create(
        service=service, kind="pagerduty", rate_limit_per_second=1, now=at
    )
    body = captured("pagerduty-v2-trigger-one.json")
    assert send(client, "pagerduty", token, body).status_code == 202
    response = send(client, "pagerduty", token, body)
    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert response.json()["status"] == "throttle event"


def test_heartbeats_are_rate_limited_too(client, service, frozen_now):
    at = frozen_now(datetime(2031, 5, 8, 7, 8, 9, tzinfo=UTC))
    _, token = integration_create(
        service=service,
        kind="heartbeat",
        heartbeat_interval_seconds=60,
        rate_limit_per_second=1,
        now=at,
    )
    assert client.get(url("heartbeat", token)).status_code == 200
    assert client.get(url("heartbeat", token)).status_code == 429


# Real payloads, replayed as they were captured.


def incident(dedup_key: str) -> Incident:
    return Incident.objects.get(dedup_key=dedup_key)


def test_alertmanager_two_firing_alerts_open_two_incidents(client, tokens):
    body = captured("webhook-firing-two-alerts.json")
    response = send(client, "alertmanager", tokens["alertmanager"], body)
    assert response.status_code == 202
    answer = response.json()
    assert answer["status"] == "accepted"
    assert [a["dedup_key"] for a in answer["alerts"]] == ["7191847b158ee84b", "46282bbe8a45557f"]
    numbers = [a["incident"] for a in answer["alerts"]]
    assert len(set(numbers)) == 2 and None not in numbers
    assert Incident.objects.filter(status="triggered").count() == 2
    assert incident("46282bbe8a45557f").title == "Playback 5xx above 2% for 5 minutes"
    assert incident("46282bbe8a45557f").severity == "critical"
    # The same notification again (Alertmanager repeats them) opens nothing new.
    again = send(client, "alertmanager", tokens["alertmanager"], body).json()
    assert [a["incident"] for a in again["alerts"]] == numbers
    assert Incident.objects.count() == 2 and Alert.objects.count() == 4


def test_alertmanager_one_firing_one_resolved_resolves_just_that_one(client, tokens):
    token = tokens["alertmanager"]
    send(client, "alertmanager", token, captured("webhook-firing-two-alerts.json"))
    response = send(client, "alertmanager", token, captured("webhook-one-firing-one-resolved.json"))
    assert response.status_code == 202
    assert incident("7191847b158ee84b").status == "triggered"
    assert incident("46282bbe8a45557f").status == "resolved"
    assert Incident.objects.count() == 2


def test_alertmanager_group_firing_then_resolved(client, tokens):
    token = tokens["alertmanager"]
    fired = send(client, "alertmanager", token, captured("webhook-firing-auth.json")).json()
    assert incident("b5bd35e4e1a7da33").status == "triggered"
    resolved = send(client, "alertmanager", token, captured("webhook-resolved-auth.json")).json()
    assert resolved["alerts"] == fired["alerts"]
    assert incident("b5bd35e4e1a7da33").status == "resolved"


def test_grafana_firing_then_resolved(client, tokens):
    token = tokens["grafana"]
    response = send(client, "grafana", token, grafana_fixture("grafana-firing.json"))
    assert response.status_code == 202
    assert Incident.objects.filter(status="triggered").count() == 2
    assert incident("3d5a1c9f8e2b7a40").source_url.startswith("https://grafana.example.org/")
    send(client, "grafana", token, grafana_fixture("grafana-resolved.json"))
    assert set(Incident.objects.values_list("status", flat=True)) == {"resolved"}


def enqueue(client, token: str, body: dict) -> dict:
    response = send(client, "pagerduty", token, body)
    assert response.status_code == 202, response.content
    return response.json()


def test_pagerduty_trigger_dedup_resolve_and_trigger_again(client, tokens):
    token = tokens["pagerduty"]
    key = "ae1b1e2dd5db93aff25a976f88f4b31a675ff0ddd068eada4aaf6ff2d44de2b8"
    trigger = captured("pagerduty-v2-trigger-auth.json")
    assert enqueue(client, token, trigger) == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": key,
    }
    first = incident(key)
    assert first.title == "[FIRING:1] AuthLatencyHigh auth (eu-west-1 critical)"
    assert enqueue(client, token, trigger)["dedup_key"] == key
    assert Incident.objects.count() == 1
    assert enqueue(client, token, captured("pagerduty-v2-resolve-auth.json"))["dedup_key"] == key
    first.refresh_from_db()
    assert first.status == "resolved"
    enqueue(client, token, trigger)
    second = Incident.objects.get(dedup_key=key, status="triggered")
    assert second.number != first.number
    # The routing key is the integration's secret: it is not kept with the alerts.
    assert not any("routing_key" in alert.payload for alert in Alert.objects.all())
    assert token not in json.dumps(list(Alert.objects.values_list("payload", flat=True)))


def test_pagerduty_group_updates_dedup_into_one_incident(client, tokens):
    token = tokens["pagerduty"]
    enqueue(client, token, captured("pagerduty-v2-trigger-two.json"))
    enqueue(client, token, captured("pagerduty-v2-trigger-after-partial-resolve.json"))
    enqueue(client, token, captured("pagerduty-v2-trigger-one.json"))
    assert Incident.objects.filter(status="triggered").count() == 2


def test_pagerduty_trigger_without_dedup_key_gets_one_to_resolve_with(client, tokens):
    token = tokens["pagerduty"]
    trigger = {
        "event_action": "trigger",
        "payload": {"summary": "Disk full", "source": "db-1", "severity": "warning"},
    }
    key = enqueue(client, token, trigger)["dedup_key"]
    assert key and incident(key).severity == "warning"
    enqueue(client, token, {"event_action": "acknowledge", "dedup_key": key})
    assert incident(key).status == "acknowledged"
    enqueue(client, token, {"event_action": "resolve", "dedup_key": key})
    assert incident(key).status == "resolved"


def test_webhook_firing_then_resolved(client, tokens):
    token = tokens["webhook"]
    fired = send(
        client,
        "webhook",
        token,
        {"title": "Backup failed", "status": "firing", "dedup_key": "backup", "severity": "info"},
    ).json()
    assert fired["alerts"] == [{"dedup_key": "backup", "incident": incident("backup").number}]
    send(client, "webhook", token, {"status": "resolved", "dedup_key": "backup"})
    assert incident("backup").status == "resolved"


def test_webhook_without_key_answers_the_key_it_made(client, tokens):
    answer = send(client, "webhook", tokens["webhook"], valid("webhook")).json()
    (alert,) = answer["alerts"]
    assert incident(alert["dedup_key"]).number == alert["incident"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_heartbeat_ping_says_when_the_next_is_due(client, tokens, frozen_now, method):
    at = frozen_now(T0 + timedelta(minutes=2))
    response = getattr(client, method)(url("heartbeat", tokens["heartbeat"]))
    assert response.status_code == 200
    due = at + timedelta(seconds=300)
    assert response.json() == {"status": "ok", "next_ping_before": due.isoformat()}
    heartbeat = Integration.objects.get(kind="heartbeat")
    assert (heartbeat.last_seen_at, heartbeat.heartbeat_due_at) == (at, due)
    assert not Alert.objects.exists()


def test_a_heartbeat_ping_resolves_the_missed_heartbeat_incident(client, tokens, frozen_now):
    late = T0 + timedelta(minutes=10)
    assert heartbeats_overdue(now=late) == 1
    frozen_now(late + timedelta(minutes=1))
    assert client.post(url("heartbeat", tokens["heartbeat"])).status_code == 200
    assert Incident.objects.get().status == "resolved"
