"""PagerDuty Events API v2 (`POST /v2/enqueue`), as PagerDuty documents it, so that anything
that can page PagerDuty (Alertmanager's pagerduty_configs, Grafana's PagerDuty contact point,
scripts) can page Plantão. Error texts follow PagerDuty's, one sentence per problem."""

from __future__ import annotations

import json
from datetime import datetime

from .base import AlertEvent, InvalidPayload
from .fields import (
    DEDUP_KEY_MAX,
    PROBLEMS_SHOWN,
    SEVERITIES,
    TITLE_MAX,
    Problems,
    title_cut,
    web_link,
)
from .text import event_clean

ROUTING_KEY_LENGTH = 32
EVENT_ACTIONS = ("trigger", "acknowledge", "resolve")
OPTIONAL_STRINGS = ("timestamp", "component", "group", "class")


def _missing(field: str) -> str:
    return f"'{field}' is missing or blank"


def _not_string(field: str) -> str:
    return f"'{field}' must be a string"


def routing_key(body: object) -> str:
    """Return the event's routing key (the integration token), or raise naming what is wrong."""
    if not isinstance(body, dict):
        raise InvalidPayload("Event object is invalid", {"body": "Event must be a JSON object"})
    key = body.get("routing_key")
    if not isinstance(key, str) or not key.strip():
        raise InvalidPayload("Event object is invalid", {"routing_key": _missing("routing_key")})
    if len(key) != ROUTING_KEY_LENGTH:
        raise InvalidPayload(
            "Event object is invalid",
            {
                "routing_key": "Length of 'routing_key' is incorrect "
                f"(should be {ROUTING_KEY_LENGTH} characters)"
            },
        )
    return key


def _dedup_key(body: dict, action: str | None, problems: Problems) -> str | None:
    key = body.get("dedup_key")
    if key is None or key == "":
        if action in ("acknowledge", "resolve"):
            problems.add("dedup_key", _missing("dedup_key"))
        return None
    if not isinstance(key, str):
        problems.add("dedup_key", _not_string("dedup_key"))
    elif len(key) > DEDUP_KEY_MAX:
        problems.add(
            "dedup_key", f"'dedup_key' is too long (maximum is {DEDUP_KEY_MAX} characters)"
        )
    else:
        return key
    return None


def _check_payload(payload: dict, required: bool, problems: Problems) -> None:
    for key in ("summary", "source", "severity"):
        value = payload.get(key)
        field = f"payload.{key}"
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                problems.add(field, _missing(field))
        elif not isinstance(value, str):
            problems.add(field, _not_string(field))
    summary = payload.get("summary")
    if isinstance(summary, str) and len(summary) > TITLE_MAX:
        problems.add(
            "payload.summary", f"'payload.summary' is too long (maximum is {TITLE_MAX} characters)"
        )
    severity = payload.get("severity")
    if isinstance(severity, str) and severity.strip() and severity not in SEVERITIES:
        problems.add(
            "payload.severity",
            "'payload.severity' is invalid (must be one of the following: "
            "'critical', 'warning', 'error' or 'info')",
        )
    for key in OPTIONAL_STRINGS:
        if payload.get(key) is not None and not isinstance(payload[key], str):
            problems.add(f"payload.{key}", _not_string(f"payload.{key}"))
    timestamp = payload.get("timestamp")
    if isinstance(timestamp, str):
        try:
            datetime.fromisoformat(timestamp)
        except ValueError:
            problems.add(
                "payload.timestamp",
                "'payload.timestamp' is invalid (must be an ISO 8601 timestamp)",
            )


def _check_context(body: dict, problems: Problems) -> None:
    for key in ("client", "client_url"):
        if body.get(key) is not None and not isinstance(body[key], str):
            problems.add(key, _not_string(key))
    for key, required in (("links", "href"), ("images", "src")):
        items = body.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            problems.add(key, f"'{key}' must be an array of objects")
            continue
        for index, item in enumerate(items):
            field = f"{key}[{index}].{required}"
            if not isinstance(item, dict):
                problems.add(f"{key}[{index}]", f"'{key}[{index}]' must be an object")
            elif not isinstance(item.get(required), str) or not item[required].strip():
                problems.add(field, _missing(field))


def _details(body: dict, payload: dict) -> dict:
    details = {
        key: payload[key]
        for key in ("source", "component", "group", "class", "timestamp", "custom_details")
        if payload.get(key) not in (None, "")
    }
    details |= {
        key: body[key] for key in ("client", "client_url", "links", "images") if body.get(key)
    }
    return details


def parse(body: object) -> AlertEvent:
    """Parse one Events API v2 alert event, or raise naming every problem PagerDuty would."""
    if not isinstance(body, dict):
        raise InvalidPayload("Event object is invalid", {"body": "Event must be a JSON object"})
    problems = Problems("PagerDuty event")
    action = body.get("event_action")
    if action is None or action == "":
        problems.add("event_action", _missing("event_action"))
        action = None
    elif action not in EVENT_ACTIONS:
        problems.add(
            "event_action",
            f"'event_action' is invalid ({json.dumps(action)}; must be one of the following: "
            "'trigger', 'acknowledge' or 'resolve')",
        )
        action = None
    dedup_key = _dedup_key(body, action, problems)
    payload = body.get("payload")
    if payload is None:
        if action == "trigger":
            problems.add("payload", _missing("payload"))
        payload = {}
    elif not isinstance(payload, dict):
        problems.add("payload", "'payload' must be an object")
        payload = {}
    else:
        _check_payload(payload, required=action == "trigger", problems=problems)
    _check_context(body, problems)
    if problems.fields:
        shown = dict(list(problems.fields.items())[:PROBLEMS_SHOWN])
        raise InvalidPayload("Event object is invalid", shown)

    severity = payload.get("severity")
    return event_clean(
        AlertEvent(
            action=action,
            dedup_key=dedup_key,
            title=title_cut(payload.get("summary") or ""),
            severity=severity if severity in SEVERITIES else "error",
            details=_details(body, payload),
            source_url=web_link(body.get("client_url")),
            # Never keep the routing key: it is the integration's secret.
            payload={key: value for key, value in body.items() if key != "routing_key"},
        )
    )
