"""Alertmanager's webhook payload (version 4): real captured payloads, then every refusal."""

import copy
import json
from pathlib import Path

import pytest

from incidents.ingest import alertmanager
from incidents.ingest.base import InvalidPayload

CAPTURED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "alertmanager-0.25"


def captured(name: str) -> dict:
    return json.loads((CAPTURED / name).read_text())


def one_alert(**alert) -> dict:
    body = captured("webhook-firing-one-alert.json")
    body["alerts"][0].update(alert)
    return body


def problems(body) -> dict:
    with pytest.raises(InvalidPayload) as caught:
        alertmanager.parse(body)
    return caught.value.fields


def test_two_firing_alerts_are_two_events_keyed_by_fingerprint():
    events = alertmanager.parse(captured("webhook-firing-two-alerts.json"))
    assert [(e.action, e.dedup_key) for e in events] == [
        ("trigger", "7191847b158ee84b"),
        ("trigger", "46282bbe8a45557f"),
    ]
    first, second = events
    assert first.title == "Playback 5xx above 2% for 5 minutes"
    assert first.severity == "critical"
    assert first.details["labels"]["instance"] == "playback-2b1d"
    assert first.details["annotations"]["description"].startswith("5xx ratio is 2.7%")
    assert first.details["startsAt"] == "2026-11-26T11:01:15.309663574Z"
    assert "endsAt" not in first.details  # Go's zero time: not ended, not worth showing
    assert first.source_url == ""
    assert second.source_url == "http://prometheus.example.org/graph?g0.expr=rate"
    assert second.payload["fingerprint"] == "46282bbe8a45557f"


def test_each_alert_follows_its_own_status_not_the_groups():
    body = captured("webhook-one-firing-one-resolved.json")
    assert body["status"] == "firing"
    events = alertmanager.parse(body)
    assert [(e.action, e.dedup_key) for e in events] == [
        ("trigger", "7191847b158ee84b"),
        ("resolve", "46282bbe8a45557f"),
    ]
    assert events[1].details["endsAt"] == "2026-11-26T11:01:19Z"


def test_a_resolved_group_resolves_its_alert():
    (fired,) = alertmanager.parse(captured("webhook-firing-auth.json"))
    (resolved,) = alertmanager.parse(captured("webhook-resolved-auth.json"))
    assert (fired.action, resolved.action) == ("trigger", "resolve")
    assert fired.dedup_key == resolved.dedup_key == "b5bd35e4e1a7da33"


@pytest.mark.parametrize(
    "annotations, labels, title",
    [
        ({"summary": "Disk full", "description": "the disk"}, {"alertname": "Disk"}, "Disk full"),
        ({"description": "  First line\nsecond line"}, {"alertname": "Disk"}, "First line"),
        ({"summary": "   "}, {"alertname": "DiskFull"}, "DiskFull"),
        ({}, {}, "Alert 523d20136054033e"),
    ],
)
def test_title_is_the_summary_else_the_descriptions_first_line_else_the_alertname(
    annotations, labels, title
):
    (event,) = alertmanager.parse(one_alert(annotations=annotations, labels=labels))
    assert event.title == title


def test_a_long_summary_is_cut_to_fit_an_incident_title():
    (event,) = alertmanager.parse(one_alert(annotations={"summary": "x" * 5000}))
    assert len(event.title) == 1024 and event.title.endswith("…")


@pytest.mark.parametrize(
    "label, severity",
    [
        ("critical", "critical"),
        ("page", "critical"),
        ("ERROR", "error"),
        ("major", "error"),
        ("high", "error"),
        ("warning", "warning"),
        ("warn", "warning"),
        ("minor", "warning"),
        ("info", "info"),
        ("low", "info"),
        ("none", "info"),
        (None, "error"),
        ("disaster", "error"),
    ],
)
def test_severity_label_maps_to_four_severities(label, severity):
    labels = {"alertname": "Disk"} | ({"severity": label} if label is not None else {})
    (event,) = alertmanager.parse(one_alert(labels=labels))
    assert event.severity == severity


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://example.org/x", "/relative", "http://" + "a" * 1000]
)
def test_only_http_links_that_fit_become_the_source_url(url):
    (event,) = alertmanager.parse(one_alert(generatorURL=url))
    assert event.source_url == ""


@pytest.mark.parametrize(
    "body, fields",
    [
        ([], {"body": "must be a JSON object"}),
        ("firing", {"body": "must be a JSON object"}),
        ({"alerts": []}, {"version": "required", "alerts": "must contain at least one alert"}),
        ({"version": 4, "alerts": [{}]}, {"version": 'must be "4", not 4'}),
        (
            {"version": "3", "alerts": {}},
            {"version": 'must be "4", not "3"', "alerts": "must be a list"},
        ),
        ({"version": "4"}, {"alerts": "required"}),
    ],
)
def test_envelope_problems_are_named(body, fields):
    assert problems(body) == fields


def test_every_bad_alert_field_is_named_with_its_index():
    body = captured("webhook-firing-two-alerts.json")
    body["alerts"][0]["status"] = "pending"
    del body["alerts"][1]["fingerprint"]
    body["alerts"][1]["labels"]["severity"] = 5
    body["alerts"].append("not an alert")
    assert problems(body) == {
        "alerts[0].status": 'must be "firing" or "resolved", not "pending"',
        "alerts[1].fingerprint": "required",
        "alerts[1].labels.severity": "must be a string",
        "alerts[2]": "must be an object",
    }


@pytest.mark.parametrize(
    "alert, field, problem",
    [
        ({"status": None}, "status", "required"),
        ({"status": ["firing"]}, "status", "must be a non-empty string"),
        ({"fingerprint": ""}, "fingerprint", "must be a non-empty string"),
        ({"fingerprint": 42}, "fingerprint", "must be a non-empty string"),
        ({"fingerprint": "f" * 256}, "fingerprint", "must be at most 255 characters"),
        ({"labels": ["a"]}, "labels", "must be an object of strings"),
        ({"annotations": "x"}, "annotations", "must be an object of strings"),
        ({"startsAt": 1}, "startsAt", "must be a string"),
        ({"generatorURL": {}}, "generatorURL", "must be a string"),
    ],
)
def test_bad_alert_fields_are_refused(alert, field, problem):
    body = one_alert()
    body["alerts"][0].update(alert)
    assert problems(body) == {f"alerts[0].{field}": problem}


def test_the_message_names_the_problems_and_parsing_changes_nothing():
    body = captured("webhook-firing-two-alerts.json")
    del body["alerts"][1]["fingerprint"]
    before = copy.deepcopy(body)
    with pytest.raises(InvalidPayload, match=r"alerts\[1\]\.fingerprint: required"):
        alertmanager.parse(body)
    assert body == before
