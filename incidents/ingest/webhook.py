"""The generic JSON webhook, for scripts and tools with no integration of their own:
`{"title", "status": "firing"|"resolved", "dedup_key"?, "severity"?, "details"?}`."""

from __future__ import annotations

import json

from .base import AlertEvent, InvalidPayload
from .fields import DEDUP_KEY_MAX, SEVERITIES, TITLE_MAX, Problems
from .text import event_clean

ACTIONS = {"firing": "trigger", "resolved": "resolve"}


def _optional_string(body: dict, key: str, problems: Problems, *, limit: int) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(key, "must be a non-empty string")
        return None
    if len(value) > limit:
        problems.add(key, f"must be at most {limit} characters")
        return None
    return value


def parse(body: object) -> AlertEvent:
    """Parse a generic webhook body into one event, or raise naming every bad field."""
    if not isinstance(body, dict):
        raise InvalidPayload(
            "Invalid webhook payload: the body must be a JSON object.",
            {"body": "must be a JSON object"},
        )
    problems = Problems("webhook")
    status = body.get("status")
    if status is None:
        problems.add("status", "required")
    elif not isinstance(status, str) or status not in ACTIONS:
        problems.add("status", f'must be "firing" or "resolved", not {json.dumps(status)}')
    title = _optional_string(body, "title", problems, limit=TITLE_MAX)
    if status == "firing" and title is None:
        problems.add("title", "required when status is firing")
    dedup_key = _optional_string(body, "dedup_key", problems, limit=DEDUP_KEY_MAX)
    if status == "resolved" and dedup_key is None:
        # Nothing else says which incident to resolve.
        problems.add("dedup_key", "required when status is resolved")
    severity = body.get("severity")
    if severity is None:
        severity = "error"
    elif severity not in SEVERITIES:
        problems.add("severity", f"must be one of {', '.join(SEVERITIES)}")
    details = body.get("details")
    if details is None:
        details = {}
    elif not isinstance(details, dict):
        problems.add("details", "must be an object")
    problems.raise_any()

    return event_clean(
        AlertEvent(
            action=ACTIONS[status],
            dedup_key=dedup_key,
            title=title or "",
            severity=severity,
            details=details,
            payload=body,
        )
    )
