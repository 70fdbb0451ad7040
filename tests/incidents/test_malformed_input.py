"""Malformed but well-signed or well-addressed requests: a 4xx naming the problem (or what the
sender's own API answers), and nothing stored."""

import json
from pathlib import Path

import pytest

from incidents.models import Alert, Incident, Service
from incidents.services.integrations import integration_create
from oncall.channels import slack_blocks
from oncall.models import SignedRequest

from .providers import signed_post
from .test_engine import on_call
from .test_slack import PRIMARY, command, link, paged_by_slack, signed

CAPTURED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "alertmanager-0.25"


def interaction(number, **action) -> dict:
    """A block_actions payload as Slack sends it, with `action` replacing parts of the button."""
    return {
        "type": "block_actions",
        "user": {"id": PRIMARY, "username": "someone", "team_id": "T0PLANTAO"},
        "response_url": "https://hooks.slack.com/actions/T0PLANTAO/1/x",
        "trigger_id": "1.2.3",
        "actions": [
            {
                "type": "button",
                "action_id": slack_blocks.ACKNOWLEDGE,
                "block_id": "b1",
                "value": str(number),
                "action_ts": "1799834460.000100",
            }
            | action
        ],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "action_id", [["x"], {"id": "x"}, 7, None], ids=["list", "object", "number", "null"]
)
def test_a_signed_press_whose_action_id_is_not_a_string_is_a_400_naming_it(
    client, slack, demo, workers, action_id
):
    incident, _ = paged_by_slack(client, slack, workers)
    payload = interaction(incident.number, action_id=action_id)
    response = signed(client, "/slack/interactions/", {"payload": json.dumps(payload)})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_payload" and "actions[0].action_id" in error["message"]
    incident.refresh_from_db()
    assert incident.status == "triggered"
    assert not incident.timeline.filter(source="slack").exists()


@pytest.mark.django_db
def test_a_well_formed_press_after_a_malformed_one_still_acts(client, slack, demo, workers):
    incident, _ = paged_by_slack(client, slack, workers)
    bad = interaction(incident.number, action_id=["x"])
    assert signed(client, "/slack/interactions/", {"payload": json.dumps(bad)}).status_code == 400
    good = interaction(incident.number)
    assert signed(client, "/slack/interactions/", {"payload": json.dumps(good)}).status_code == 200
    incident.refresh_from_db()
    assert incident.status == "acknowledged"


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["resolve", "acknowledge"])
def test_a_pagerduty_event_for_an_unknown_dedup_key_stores_nothing_and_is_accepted(
    client, demo, action
):
    service = Service.objects.get(name="auth")
    _, token = integration_create(service=service, kind="pagerduty")
    body = json.loads((CAPTURED / "pagerduty-v2-resolve-auth.json").read_text())
    body |= {"routing_key": token, "event_action": action, "dedup_key": "never-triggered"}
    response = client.post("/v2/enqueue", json.dumps(body), content_type="application/json")
    assert response.status_code == 202
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "never-triggered",
    }
    assert not Alert.objects.exists() and not Incident.objects.exists()


@pytest.mark.django_db
def test_a_pagerduty_resolve_for_a_known_key_is_still_kept_with_its_incident(client, demo):
    service = Service.objects.get(name="auth")
    _, token = integration_create(service=service, kind="pagerduty")
    for name in ("pagerduty-v2-trigger-auth.json", "pagerduty-v2-resolve-auth.json"):
        body = json.loads((CAPTURED / name).read_text()) | {"routing_key": token}
        response = client.post("/v2/enqueue", json.dumps(body), content_type="application/json")
        assert response.status_code == 202
    incident = Incident.objects.get()
    assert incident.status == "resolved"
    assert list(incident.alerts.values_list("action", flat=True).order_by("pk")) == [
        "trigger",
        "resolve",
    ]
    # And once resolved, the key is unknown again: a second resolve stores nothing.
    client.post("/v2/enqueue", json.dumps(body), content_type="application/json")
    assert Alert.objects.count() == 2


@pytest.mark.django_db
def test_signed_requests_holding_a_nul_are_a_400_naming_the_field(client, slack, twilio, demo):
    """PostgreSQL cannot store a NUL: refused up front, not a 500 halfway through."""
    link(on_call("Primary"), PRIMARY)
    declared = command(client, "declare Disk\x00full")
    assert declared.status_code == 400
    assert declared.json()["error"] == {
        "code": "invalid_request",
        "message": "The field text contains a NUL character (\\u0000).",
    }
    stranger = command(client, "ack 1", user="U0\x00")
    assert stranger.status_code == 400 and "field user_id" in stranger.json()["error"]["message"]
    payload = json.dumps(interaction(1) | {"user": {"id": "U0\x00"}})
    pressed = signed(client, "/slack/interactions/", {"payload": payload})
    assert pressed.status_code == 400 and "NUL" in pressed.json()["error"]["message"]
    sms = signed_post(client, "/twilio/sms/", {"From": "+1212\x00", "Body": "4"})
    assert sms.status_code == 400 and "field From" in sms.json()["error"]["message"]
    assert not Incident.objects.exists() and not SignedRequest.objects.exists()
