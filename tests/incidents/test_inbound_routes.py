"""Every inbound endpoint of CONTRACT.md answers the same with or without its trailing slash:
senders are configured by hand, and a redirect would turn their POST into a GET."""

import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest

from incidents.models import Alert, Service
from incidents.services.integrations import integration_create
from oncall.models import Team
from tests.conftest import SLACK_SECRET
from tests.fakes.providers import slack_headers, twilio_signature

from .conftest import T0
from .providers import PUBLIC, TOKEN

CAPTURED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "alertmanager-0.25"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def both_forms(path: str) -> tuple[str, str]:
    """Return `path` as CONTRACT.md writes it and with its trailing slash added or removed."""
    return path, path[:-1] if path.endswith("/") else path + "/"


def payload(kind: str, token: str) -> bytes:
    if kind == "alertmanager":
        return (CAPTURED / "webhook-firing-auth.json").read_bytes()
    if kind == "grafana":
        return (FIXTURES / "grafana-firing.json").read_bytes()
    if kind == "pagerduty":
        body = json.loads((CAPTURED / "pagerduty-v2-trigger-auth.json").read_text())
        return json.dumps({**body, "routing_key": token}).encode()
    return json.dumps({"title": "Disk full", "status": "firing", "dedup_key": "disk"}).encode()


@pytest.fixture
def service(db, frozen_now):
    frozen_now(T0)
    team = Team.objects.create(name="Platform SRE", slug="platform-sre")
    return Service.objects.create(name="auth", team=team)


@pytest.mark.parametrize("kind", ["alertmanager", "grafana", "webhook", "pagerduty"])
def test_an_alert_is_taken_with_or_without_the_slash(client, service, kind):
    _, token = integration_create(service=service, kind=kind, now=T0)
    path = "/v2/enqueue" if kind == "pagerduty" else f"/integrations/{kind}/{token}/"
    answers = []
    for form in both_forms(path):
        response = client.post(form, payload(kind, token), content_type="application/json")
        answers.append((response.status_code, response.json()))
    # The same alert twice: the same answer, the second deduplicated into the first's incident.
    assert answers[0] == answers[1]
    assert answers[0][0] == 202
    assert Alert.objects.count() == 2 * len(answers[0][1].get("alerts", [None]))


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_heartbeat_is_taken_with_or_without_the_slash(client, service, method):
    integration, token = integration_create(service=service, kind="heartbeat", now=T0)
    for form in both_forms(f"/integrations/heartbeat/{token}/"):
        response = getattr(client, method)(form)
        assert response.status_code == 200
        assert response.json()["next_ping_before"] == (T0 + timedelta(seconds=300)).isoformat()


def twilio_post(client, path, query, params):
    url = f"{path}?{query}" if query else path
    signature = twilio_signature(PUBLIC + url, params, TOKEN)
    return client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.mark.parametrize(
    ("path", "query", "params"),
    [
        ("/twilio/sms/", "", {"From": "+15005550199", "Body": "4"}),
        ("/twilio/status/", "page=1", {"MessageStatus": "delivered"}),
        ("/twilio/voice/1/", "", {"CallStatus": "in-progress"}),
    ],
)
def test_signed_twilio_requests_are_answered_with_or_without_the_slash(
    client, service, twilio, path, query, params
):
    answers = []
    for number, form in enumerate(both_forms(path)):
        # Distinct message ids: the same one twice would be a replay.
        sid = {"MessageSid": f"SM{number:032d}", "CallSid": f"CA{number:032d}"}
        response = twilio_post(client, form, query, {**params, **sid})
        answers.append((response.status_code, response.content))
    assert answers[0] == answers[1]
    assert answers[0][0] < 300


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/slack/commands/", {"command": "/incident", "text": "list", "user_id": "U0NOBODY"}),
        (
            "/slack/interactions/",
            {"payload": json.dumps({"type": "block_actions", "user": {"id": "U0NOBODY"}})},
        ),
    ],
)
def test_signed_slack_requests_are_answered_with_or_without_the_slash(
    client, service, slack, path, fields
):
    answers = []
    for number, form in enumerate(both_forms(path)):
        body = urlencode({**fields, "team_id": "T0PLANTAO", "trigger_id": f"trigger-{number}"})
        # A second apart: the same signature twice would be a replay.
        headers = slack_headers(body, SLACK_SECRET, int(T0.timestamp()) + number)
        response = client.post(
            form, body, content_type="application/x-www-form-urlencoded", **headers
        )
        answers.append((response.status_code, response.content))
    assert answers[0] == answers[1]
    assert answers[0][0] < 300


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_health_and_metrics_are_answered_with_or_without_the_slash(client, service, path):
    statuses = [client.get(form).status_code for form in both_forms(path)]
    assert statuses[0] == statuses[1]
    assert statuses[0] in (200, 503)  # /readyz says 503 while the broker is away
