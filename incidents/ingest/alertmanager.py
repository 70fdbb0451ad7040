"""Prometheus Alertmanager's webhook_configs, payload version 4: one event per alert of the group.

Each alert is judged by its own status, not the group's: a group still "firing" can carry an
alert that has resolved. Grafana Alerting sends the same shape, so it reuses `alert_event`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from .base import AlertEvent, InvalidPayload
from .fields import DEDUP_KEY_MAX, Problems, title_cut, web_link
from .text import event_clean

VERSION = "4"
ACTIONS = {"firing": "trigger", "resolved": "resolve"}
SEVERITY_ALIASES = {
    "critical": "critical",
    "page": "critical",
    "error": "error",
    "major": "error",
    "high": "error",
    "warning": "warning",
    "warn": "warning",
    "minor": "warning",
    "info": "info",
    "low": "info",
    "none": "info",
}
# Alertmanager's "not ended yet" (Go's zero time): noise, not a detail.
ZERO_TIME = "0001-01-01T00:00:00Z"


def severity_from(label: object) -> str:
    """Map a `severity` label to Plantão's four severities; a missing or odd one is an error."""
    if not isinstance(label, str):
        return "error"
    return SEVERITY_ALIASES.get(label.strip().lower(), "error")


def _string_map(alert: dict, key: str, where: str, problems: Problems) -> dict:
    value = alert.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(f"{where}.{key}", "must be an object of strings")
        return {}
    for name, item in value.items():
        if not isinstance(item, str):
            problems.add(f"{where}.{key}.{name}", "must be a string")
    return value


def _first_line(text: object) -> str | None:
    if isinstance(text, str) and text.strip():
        return text.strip().splitlines()[0]
    return None


def _title(labels: dict, annotations: dict, fingerprint: str) -> str:
    candidates = (
        annotations.get("summary"),
        _first_line(annotations.get("description")),
        labels.get("alertname"),
    )
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return title_cut(candidate)
    return f"Alert {fingerprint}"


def _required_string(alert: dict, key: str, where: str, problems: Problems) -> str | None:
    value = alert.get(key)
    if value is None:
        problems.add(f"{where}.{key}", "required")
    elif not isinstance(value, str) or not value.strip():
        problems.add(f"{where}.{key}", "must be a non-empty string")
    else:
        return value
    return None


def alert_event(alert: object, where: str) -> AlertEvent:
    """Turn one alert of an Alertmanager-shaped group into an event; `where` names it in errors."""
    if not isinstance(alert, dict):
        raise InvalidPayload(f"{where} must be an object.", {where: "must be an object"})
    problems = Problems("alert")
    fingerprint = _required_string(alert, "fingerprint", where, problems)
    if fingerprint is not None and len(fingerprint) > DEDUP_KEY_MAX:
        problems.add(f"{where}.fingerprint", f"must be at most {DEDUP_KEY_MAX} characters")
    status = _required_string(alert, "status", where, problems)
    if status is not None and status not in ACTIONS:
        problems.add(f"{where}.status", f'must be "firing" or "resolved", not {json.dumps(status)}')
    labels = _string_map(alert, "labels", where, problems)
    annotations = _string_map(alert, "annotations", where, problems)
    for key in ("startsAt", "endsAt", "generatorURL"):
        if key in alert and not isinstance(alert[key], str):
            problems.add(f"{where}.{key}", "must be a string")
    problems.raise_any()

    details: dict = {"labels": labels, "annotations": annotations}
    for key in ("startsAt", "endsAt"):
        if alert.get(key) and alert[key] != ZERO_TIME:
            details[key] = alert[key]
    return AlertEvent(
        action=ACTIONS[status],
        dedup_key=fingerprint,
        title=_title(labels, annotations, fingerprint),
        severity=severity_from(labels.get("severity")),
        details=details,
        source_url=web_link(alert.get("generatorURL")),
        payload=alert,
    )


def group_alerts(body: object, *, version: str, source: str) -> list:
    """Check the envelope of an Alertmanager-shaped payload and return its list of alerts."""
    if not isinstance(body, dict):
        raise InvalidPayload(
            f"Invalid {source} payload: the body must be a JSON object.",
            {"body": "must be a JSON object"},
        )
    problems = Problems(source)
    got = body.get("version")
    if got is None:
        problems.add("version", "required")
    elif got != version:
        problems.add("version", f'must be "{version}", not {json.dumps(got)}')
    alerts = body.get("alerts")
    if alerts is None:
        problems.add("alerts", "required")
    elif not isinstance(alerts, list):
        problems.add("alerts", "must be a list")
    elif not alerts:
        problems.add("alerts", "must contain at least one alert")
    problems.raise_any()
    return alerts


def alert_events(
    alerts: list, *, source: str, build: Callable[[object, str], AlertEvent] = alert_event
) -> list[AlertEvent]:
    """Build one clean event per alert, or raise one InvalidPayload naming every bad field."""
    events = []
    problems = Problems(source)
    for index, alert in enumerate(alerts):
        try:
            events.append(event_clean(build(alert, f"alerts[{index}]")))
        except InvalidPayload as error:
            problems.merge(error)
    problems.raise_any()
    return events


def parse(body: object) -> list[AlertEvent]:
    """Parse an Alertmanager webhook (version 4) body into one event per alert."""
    alerts = group_alerts(body, version=VERSION, source="Alertmanager")
    return alert_events(alerts, source="Alertmanager")
