"""The request bodies a rehearsal sends: the generic webhook's for steady, ramp and storm, and
Alertmanager's version 4 webhook (as captured from Alertmanager 0.25) for alertmanager.

Pure: a Send in, JSON bytes out.
"""

from __future__ import annotations

import hashlib
import json

from .shapes import Send

# Go's zero time: how Alertmanager says a firing alert has not ended.
ZERO_TIME = "0001-01-01T00:00:00Z"


def fingerprint(key: str) -> str:
    """Return an Alertmanager-style fingerprint (16 hex digits) for the dedup key `key`."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def webhook_body(key: str) -> bytes:
    """Return the generic webhook body of one firing alert with dedup key `key`."""
    return json.dumps(
        {
            "status": "firing",
            "title": f"Rehearsal alert {key}",
            "dedup_key": key,
            "severity": "critical",
            "details": {"rehearsal": True},
        }
    ).encode()


def alertmanager_body(send: Send, *, started: str) -> bytes:
    """Return an Alertmanager version 4 webhook body carrying the alerts of `send` as one group.

    `started` is the group's startsAt (ISO 8601).
    """
    group = send.keys[0].rsplit("-", 1)[0] + f"-group-{send.keys[0].rsplit('-', 1)[-1]}"
    common = {"alertname": "RehearsalStorm", "group": group, "severity": "critical"}
    alerts = [
        {
            "status": "firing",
            "labels": {**common, "instance": key},
            "annotations": {"summary": f"Rehearsal alert {key}"},
            "startsAt": started,
            "endsAt": ZERO_TIME,
            "generatorURL": "",
            "fingerprint": fingerprint(key),
        }
        for key in send.keys
    ]
    return json.dumps(
        {
            "receiver": "plantao-rehearsal",
            "status": "firing",
            "alerts": alerts,
            "groupLabels": {"alertname": "RehearsalStorm", "group": group},
            "commonLabels": common,
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.invalid:9093",
            "version": "4",
            "groupKey": f'{{}}/{{}}:{{alertname="RehearsalStorm", group="{group}"}}',
            "truncatedAlerts": 0,
        }
    ).encode()


def body_for(shape: str, send: Send, *, started: str) -> bytes:
    """Return the body of `send` for a rehearsal of `shape`."""
    if shape == "alertmanager":
        return alertmanager_body(send, started=started)
    return webhook_body(send.keys[0])
