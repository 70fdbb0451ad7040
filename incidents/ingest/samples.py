"""A test alert in each source's own words, for the "Send test alert" button: the body its
monitoring would send, read by the parser its endpoint uses, so the button tries the whole path
after the token check."""

from __future__ import annotations

from incidents.ingest import alertmanager, grafana, pagerduty, webhook
from incidents.ingest.base import AlertEvent

TEST_TITLE = "Test alert from Plantão"
TEST_DESCRIPTION = "Sent with the Send test alert button; resolve it when you have seen it."


def _alertmanager_group(version: str, key: str) -> dict:
    return {
        "version": version,
        "status": "firing",
        "receiver": "plantao",
        "groupLabels": {"alertname": "PlantaoTestAlert"},
        "alerts": [
            {
                "status": "firing",
                "fingerprint": key,
                "labels": {"alertname": "PlantaoTestAlert", "severity": "info"},
                "annotations": {"summary": TEST_TITLE, "description": TEST_DESCRIPTION},
            }
        ],
    }


def test_body(kind: str, key: str) -> dict:
    """Return the body a source of `kind` sends for a firing, informational alert `key`."""
    if kind == "alertmanager":
        return _alertmanager_group(alertmanager.VERSION, key)
    if kind == "grafana":
        return _alertmanager_group(grafana.VERSION, key)
    if kind == "pagerduty":
        return {
            "event_action": "trigger",
            "dedup_key": key,
            "payload": {"summary": TEST_TITLE, "source": "plantao", "severity": "info"},
        }
    if kind == "webhook":
        return {
            "status": "firing",
            "title": TEST_TITLE,
            "dedup_key": key,
            "severity": "info",
            "details": {"text": TEST_DESCRIPTION},
        }
    raise ValueError(f"A {kind} integration takes no alerts.")


def test_events(kind: str, key: str) -> list[AlertEvent]:
    """Return the events the endpoint of `kind` reads from its test body."""
    body = test_body(kind, key)
    if kind == "pagerduty":
        return [pagerduty.parse(body)]
    if kind == "webhook":
        return [webhook.parse(body)]
    return {"alertmanager": alertmanager.parse, "grafana": grafana.parse}[kind](body)
