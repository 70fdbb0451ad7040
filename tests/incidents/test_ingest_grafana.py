"""Grafana Alerting's webhook contact point: Alertmanager's shape plus Grafana's own fields."""

import json
from pathlib import Path

import pytest

from incidents.ingest import grafana
from incidents.ingest.base import InvalidPayload

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def problems(body) -> dict:
    with pytest.raises(InvalidPayload) as caught:
        grafana.parse(body)
    return caught.value.fields


def test_firing_group_is_one_trigger_per_alert_with_grafanas_links_and_values():
    first, second = grafana.parse(fixture("grafana-firing.json"))
    assert [(e.action, e.dedup_key) for e in (first, second)] == [
        ("trigger", "3d5a1c9f8e2b7a40"),
        ("trigger", "91c0e6f25b7d3a18"),
    ]
    assert first.title == "Playback start failures above 2% in eu-west-1"
    assert first.severity == "critical"
    assert first.source_url.startswith("https://grafana.example.org/alerting/grafana/")
    assert first.details["values"] == {"A": 0.041, "C": 1}
    assert first.details["valueString"].startswith("[ var='A'")
    assert first.details["panelURL"].endswith("viewPanel=4")
    assert first.details["silenceURL"].startswith("https://grafana.example.org/alerting/silence/")
    assert first.details["labels"]["grafana_folder"] == "Playback"
    # No summary: the description's first line is the title.
    assert second.title == "Start failures are 2.3% of sessions in sa-east-1 (threshold 2%)."
    assert second.severity == "warning"


def test_resolved_group_resolves_the_same_keys():
    events = grafana.parse(fixture("grafana-resolved.json"))
    assert [(e.action, e.dedup_key) for e in events] == [
        ("resolve", "3d5a1c9f8e2b7a40"),
        ("resolve", "91c0e6f25b7d3a18"),
    ]
    assert events[0].details["endsAt"] == "2026-11-26T11:19:10Z"


def test_the_panel_is_the_link_when_the_rule_has_none():
    body = fixture("grafana-firing.json")
    body["alerts"][0]["generatorURL"] = ""
    event = grafana.parse(body)[0]
    assert event.source_url == "https://grafana.example.org/d/playback-slo?orgId=1&viewPanel=4"


def test_grafana_payloads_are_version_1_not_alertmanagers_4():
    body = fixture("grafana-firing.json")
    body["version"] = "4"
    assert problems(body) == {"version": 'must be "1", not "4"'}


def test_legacy_grafana_alerting_is_refused_with_a_hint():
    legacy = {"ruleId": 1, "ruleName": "CPU", "state": "alerting", "evalMatches": []}
    with pytest.raises(InvalidPayload, match="unified alerting"):
        grafana.parse(legacy)


@pytest.mark.parametrize(
    "change, field, problem",
    [
        ({"fingerprint": None}, "alerts[0].fingerprint", "required"),
        (
            {"status": "alerting"},
            "alerts[0].status",
            'must be "firing" or "resolved", not "alerting"',
        ),
        ({"valueString": 3}, "alerts[0].valueString", "must be a string"),
        ({"values": [1, 2]}, "alerts[0].values", "must be an object"),
        ({"panelURL": False}, "alerts[0].panelURL", "must be a string"),
    ],
)
def test_bad_alert_fields_are_named(change, field, problem):
    body = fixture("grafana-firing.json")
    body["alerts"][0].update(change)
    assert problems(body) == {field: problem}


def test_non_http_links_are_left_out():
    body = fixture("grafana-firing.json")
    body["alerts"][0]["panelURL"] = "javascript:alert(1)"
    event = grafana.parse(body)[0]
    assert "panelURL" not in event.details
