"""PagerDuty Events API v2: what Alertmanager's pagerduty_configs sends, and PagerDuty's rules."""

import json
from pathlib import Path

import pytest

from incidents.ingest import pagerduty
from incidents.ingest.base import InvalidPayload

CAPTURED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "alertmanager-0.25"
KEY = "0123456789abcdef0123456789abcdef"


def captured(name: str) -> dict:
    return json.loads((CAPTURED / name).read_text())


def errors(body) -> dict:
    with pytest.raises(InvalidPayload) as caught:
        pagerduty.parse(body)
    assert caught.value.message == "Event object is invalid"
    return caught.value.fields


def trigger(**changes) -> dict:
    body = {
        "routing_key": KEY,
        "event_action": "trigger",
        "payload": {"summary": "Disk full on db-1", "source": "db-1", "severity": "critical"},
    }
    for key, value in changes.items():
        if key.startswith("payload_"):
            body["payload"][key.removeprefix("payload_")] = value
        else:
            body[key] = value
    return body


def test_alertmanagers_trigger_keeps_its_dedup_key_and_summary():
    event = pagerduty.parse(captured("pagerduty-v2-trigger-two.json"))
    assert event.action == "trigger"
    assert event.dedup_key == "4951ec697de5fc0a83059a09a2d9ca0ba4b9a20df3ac780bc8304e277d8175bc"
    assert event.title == "[FIRING:2] PlaybackErrorRateHigh playback (critical)"
    assert event.severity == "error"
    assert event.details["source"] == "Alertmanager"
    assert event.details["custom_details"]["num_firing"] == "2"
    assert event.details["client"] == "Alertmanager"
    assert event.source_url == "http://alertmanager.example.org:9093/#/alerts?receiver=pd"


def test_the_routing_key_is_never_kept():
    event = pagerduty.parse(captured("pagerduty-v2-trigger-auth.json"))
    assert "routing_key" not in event.payload
    assert KEY not in json.dumps(event.payload) + json.dumps(event.details)


def test_alertmanagers_resolve():
    event = pagerduty.parse(captured("pagerduty-v2-resolve-auth.json"))
    assert event.action == "resolve"
    assert event.dedup_key.startswith("ae1b1e2dd5db93af")


def test_acknowledge_and_resolve_need_only_a_dedup_key():
    for action in ("acknowledge", "resolve"):
        event = pagerduty.parse({"routing_key": KEY, "event_action": action, "dedup_key": "k"})
        assert (event.action, event.dedup_key, event.title) == (action, "k", "")


def test_a_trigger_without_dedup_key_leaves_it_to_plantao():
    assert pagerduty.parse(trigger()).dedup_key is None
    assert pagerduty.parse(trigger(dedup_key="")).dedup_key is None


def test_optional_fields_become_details():
    event = pagerduty.parse(
        trigger(
            payload_timestamp="2015-07-17T08:42:58.315+0000",
            payload_component="postgres",
            payload_group="prod-datapipe",
            payload_class="deploy",
            links=[{"href": "https://example.com/", "text": "Link"}],
            images=[{"src": "https://example.com/i.png"}],
        )
    )
    assert event.details["component"] == "postgres"
    assert event.details["class"] == "deploy"
    assert event.details["timestamp"] == "2015-07-17T08:42:58.315+0000"
    assert event.details["links"][0]["href"] == "https://example.com/"


@pytest.mark.parametrize(
    "body, fields",
    [
        ([], {"body": "Event must be a JSON object"}),
        (trigger(event_action=None), {"event_action": "'event_action' is missing or blank"}),
        (
            trigger(event_action="snooze"),
            {
                "event_action": "'event_action' is invalid (\"snooze\"; must be one of the "
                "following: 'trigger', 'acknowledge' or 'resolve')"
            },
        ),
        (
            {"routing_key": KEY, "event_action": "resolve"},
            {"dedup_key": "'dedup_key' is missing or blank"},
        ),
        (
            trigger(dedup_key="k" * 256),
            {"dedup_key": "'dedup_key' is too long (maximum is 255 characters)"},
        ),
        (trigger(dedup_key=5), {"dedup_key": "'dedup_key' must be a string"}),
        (trigger(payload=None), {"payload": "'payload' is missing or blank"}),
        (
            trigger(payload="text"),
            {"payload": "'payload' must be an object"},
        ),
        (
            trigger(payload_summary=" "),
            {"payload.summary": "'payload.summary' is missing or blank"},
        ),
        (
            trigger(payload_summary="s" * 1025),
            {"payload.summary": "'payload.summary' is too long (maximum is 1024 characters)"},
        ),
        (trigger(payload_source=None), {"payload.source": "'payload.source' is missing or blank"}),
        (
            trigger(payload_severity="high"),
            {
                "payload.severity": "'payload.severity' is invalid (must be one of the following: "
                "'critical', 'warning', 'error' or 'info')"
            },
        ),
        (trigger(payload_severity=3), {"payload.severity": "'payload.severity' must be a string"}),
        (
            trigger(payload_timestamp="yesterday"),
            {"payload.timestamp": "'payload.timestamp' is invalid (must be an ISO 8601 timestamp)"},
        ),
        (
            trigger(payload_component=1),
            {"payload.component": "'payload.component' must be a string"},
        ),
        (trigger(client_url=[]), {"client_url": "'client_url' must be a string"}),
        (trigger(links={}), {"links": "'links' must be an array of objects"}),
        (trigger(links=[{"text": "x"}]), {"links[0].href": "'links[0].href' is missing or blank"}),
        (trigger(images=["x"]), {"images[0]": "'images[0]' must be an object"}),
    ],
)
def test_invalid_events_are_refused_with_pagerdutys_messages(body, fields):
    assert errors(body) == fields


@pytest.mark.parametrize(
    "body, problem",
    [
        ("x", "Event must be a JSON object"),
        ({}, "'routing_key' is missing or blank"),
        ({"routing_key": 5}, "'routing_key' is missing or blank"),
        (
            {"routing_key": "short"},
            "Length of 'routing_key' is incorrect (should be 32 characters)",
        ),
    ],
)
def test_routing_key_must_be_32_characters(body, problem):
    with pytest.raises(InvalidPayload) as caught:
        pagerduty.routing_key(body)
    assert list(caught.value.fields.values()) == [problem]


def test_routing_key_is_returned():
    assert pagerduty.routing_key(trigger()) == KEY
