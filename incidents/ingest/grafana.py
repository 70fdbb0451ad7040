"""Grafana Alerting's webhook contact point: Alertmanager's shape (version "1") plus Grafana's
own fields. Each alert goes through Alertmanager's per-alert parsing, then gains its links and
evaluated values."""

from __future__ import annotations

import dataclasses

from . import alertmanager
from .base import AlertEvent, InvalidPayload
from .fields import Problems, web_link

VERSION = "1"
SOURCE = "Grafana"
LINKS = ("silenceURL", "dashboardURL", "panelURL", "imageURL")


def _grafana_event(alert: object, where: str) -> AlertEvent:
    event = alertmanager.alert_event(alert, where)
    problems = Problems("alert")
    for key in (*LINKS, "valueString"):
        if key in alert and not isinstance(alert[key], str):
            problems.add(f"{where}.{key}", "must be a string")
    if alert.get("values") is not None and not isinstance(alert["values"], dict):
        problems.add(f"{where}.values", "must be an object")
    problems.raise_any()

    details = dict(event.details)
    for key in ("valueString", "values"):
        if alert.get(key):
            details[key] = alert[key]
    for key in LINKS:
        if web_link(alert.get(key)):
            details[key] = alert[key]
    # The rule's page first, as for Alertmanager; else the panel, which says more than nothing.
    source_url = event.source_url or web_link(alert.get("panelURL"))
    source_url = source_url or web_link(alert.get("dashboardURL"))
    return dataclasses.replace(event, details=details, source_url=source_url)


def parse(body: object) -> list[AlertEvent]:
    """Parse a Grafana Alerting webhook body into one event per alert."""
    if (
        isinstance(body, dict)
        and "alerts" not in body
        and ("ruleId" in body or "evalMatches" in body)
    ):
        raise InvalidPayload(
            "This is a legacy Grafana alerting notification; use a Grafana Alerting "
            "(unified alerting) webhook contact point.",
            {"alerts": "required (legacy Grafana alerting payloads are not supported)"},
        )
    alerts = alertmanager.group_alerts(body, version=VERSION, source=SOURCE)
    return alertmanager.alert_events(alerts, source=SOURCE, build=_grafana_event)
