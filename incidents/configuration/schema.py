"""The configuration file's shape, as JSON Schema (draft 2020-12).

This is the one description of the file: `normal` checks every file against it before anything
else, `manage.py config schema` prints it, and static/config/plantao-config.schema.json is it,
published for editors (a test keeps the two equal). Defaults given here are what a missing key
means; `normal.load` fills them in.
"""

from __future__ import annotations

VERSION = 1
SCHEMA_ID = "https://plantao.example/schema/plantao-config-1.json"

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CONTACT_KINDS = ("sms", "voice", "email", "slack")
ROLES = ("viewer", "responder", "admin")
TURN_UNITS = ("hours", "days", "weeks")
URGENCY_RULES = ("high", "low", "severity")
INTEGRATION_KINDS = ("alertmanager", "grafana", "webhook", "pagerduty", "heartbeat")
TARGET_KINDS = ("person", "schedule", "team_all", "team_round_robin")

_TEXT = {"type": "string"}
_NAME = {"type": "string", "minLength": 1, "maxLength": 100}
_EMAIL = {"type": "string", "minLength": 3, "maxLength": 254, "pattern": "^[^@\\s]+@[^@\\s]+$"}
_ZONE = {"type": "string", "minLength": 1, "description": "An IANA time zone, e.g. Europe/Lisbon."}
_INSTANT = {
    "type": "string",
    "description": "ISO 8601 with its UTC offset, e.g. 2026-03-29T09:00:00+01:00 (or Z).",
    "pattern": "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d(:\\d\\d(\\.\\d+)?)?(Z|[+-]\\d\\d:\\d\\d)$",
}
_CLOCK = {"type": "string", "pattern": "^\\d{1,3}:\\d\\d$"}


def _object(properties: dict, required: tuple = (), description: str = "") -> dict:
    shape = {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }
    if description:
        shape["description"] = description
    return shape


def _list(items: dict, description: str = "") -> dict:
    shape = {"type": "array", "items": items, "default": []}
    if description:
        shape["description"] = description
    return shape


def _optional(shape: dict, default=None) -> dict:
    return {"anyOf": [shape, {"type": "null"}], "default": default}


def _with_default(shape: dict, default) -> dict:
    return {**shape, "default": default}


MEMBER = _object(
    {"person": _EMAIL, "role": {"enum": list(ROLES), "default": "responder"}},
    required=("person",),
)

TEAM = _object(
    {
        "name": _NAME,
        "slug": _with_default(
            {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$", "maxLength": 100},
            None,
        ),
        "slack_channel": _with_default({"type": "string", "maxLength": 32}, ""),
        "manager": _optional(_EMAIL),
        "rest_after_sleep_pages": _optional({"type": "integer", "minimum": 1, "maximum": 1000}),
        "rest_notice_nights": _optional({"type": "integer", "minimum": 1, "maximum": 7}),
        "members": _list(MEMBER, "Everyone in the team, with their role; the file is the list."),
    },
    required=("name",),
    description="A team. `slug` defaults to the name made a slug.",
)

RULE = _object(
    {
        "urgency": {"enum": ["high", "low"], "default": "high"},
        "after_minutes": {"type": "integer", "minimum": 0, "maximum": 1440, "default": 0},
    },
)

CONTACT_METHOD = _object(
    {
        "kind": {"enum": list(CONTACT_KINDS)},
        "address": {
            "type": "string",
            "minLength": 1,
            "maxLength": 254,
            "description": "E.164 phone number, e-mail address or Slack member id.",
        },
        "label": _with_default({"type": "string", "maxLength": 50}, ""),
        "rules": _list(RULE, "When a page reaches this method: its urgency, and minutes after."),
    },
    required=("kind", "address"),
    description="A way to reach the person. New ones arrive unverified and are sent a code.",
)

PERSON = _object(
    {
        "email": _EMAIL,
        "name": {"type": "string", "minLength": 1, "maxLength": 150},
        "username": _with_default({"type": "string", "minLength": 1, "maxLength": 150}, None),
        "time_zone": _with_default(_ZONE, "UTC"),
        "locale": _with_default({"type": "string", "minLength": 2, "maxLength": 16}, "en"),
        "holiday_country": _with_default({"type": "string", "maxLength": 2}, ""),
        "holiday_subdivision": _with_default({"type": "string", "maxLength": 10}, ""),
        "contact_methods": _list(CONTACT_METHOD),
    },
    required=("email", "name"),
    description="Someone who can be on call, known by e-mail everywhere in the file. "
    "`username` (their login) defaults to the e-mail.",
)

RESTRICTION = _object(
    {
        "kind": {"enum": ["daily", "weekly"], "default": "daily"},
        "weekday": {"enum": list(WEEKDAYS), "default": "mon", "description": "Weekly only."},
        "start": _CLOCK | {"description": "Local time of the layer's zone, HH:MM."},
        "duration": _CLOCK | {"description": "HH:MM; at most 24:00 (daily) or 168:00 (weekly)."},
    },
    required=("start", "duration"),
    description="When the layer is active, in its own zone's wall-clock time.",
)

LAYER = _object(
    {
        "name": _NAME,
        "turn_unit": {"enum": list(TURN_UNITS), "default": "weeks"},
        "turn_count": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1},
        "handoff": _INSTANT
        | {"description": "An instant when the first participant's turn begins."},
        "time_zone": _with_default(_ZONE, "UTC"),
        "active_from": _optional(_INSTANT),
        "active_until": _optional(_INSTANT),
        "participants": _list(_EMAIL, "Who takes turns, in order."),
        "restrictions": _list(RESTRICTION),
    },
    required=("name", "handoff"),
    description="A rotation. Later layers win where layers overlap.",
)

OVERRIDE = _object(
    {
        "person": _EMAIL,
        "start": _INSTANT,
        "end": _INSTANT,
        "reason": _with_default({"type": "string", "maxLength": 200}, ""),
    },
    required=("person", "start", "end"),
)

SCHEDULE = _object(
    {
        "name": _NAME,
        "team": _NAME,
        "time_zone": _with_default(_ZONE, "UTC"),
        "description": _with_default(_TEXT, ""),
        "layers": _list(LAYER, "From lowest to highest: the last one wins."),
        "overrides": _list(OVERRIDE, "Overrides that have not ended yet."),
    },
    required=("name", "team"),
)

TARGET = {
    "type": "object",
    "description": "Exactly one of: a person (e-mail), a schedule's on-call, a whole team, or "
    "one person of a team in turn (team names).",
    "properties": {
        "person": _EMAIL,
        "schedule": _NAME,
        "team_all": _NAME,
        "team_round_robin": _NAME,
    },
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 1,
}

STEP = _object(
    {
        "escalate_after_minutes": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1440,
            "default": 5,
        },
        "targets": {"type": "array", "items": TARGET, "minItems": 1},
    },
    required=("targets",),
)

POLICY = _object(
    {
        "name": _NAME,
        "team": _NAME,
        "repeat": {"type": "integer", "minimum": 0, "maximum": 20, "default": 0},
        "description": _with_default(_TEXT, ""),
        "steps": _list(STEP),
    },
    required=("name", "team"),
)

WINDOW = _object(
    {
        "start": _INSTANT,
        "end": _INSTANT,
        "reason": _with_default({"type": "string", "maxLength": 200}, ""),
    },
    required=("start", "end"),
    description="A maintenance window that has not ended yet: nobody is paged meanwhile.",
)

INTEGRATION = _object(
    {
        "kind": {"enum": list(INTEGRATION_KINDS)},
        "name": _with_default({"type": "string", "maxLength": 100}, ""),
        "rate_limit_per_second": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1_000_000,
            "default": 5000,
        },
        "heartbeat_interval_seconds": _optional({"type": "integer", "minimum": 1}),
    },
    required=("kind",),
    description="An endpoint alerts come in by. Its token is never in the file: a new one is "
    "printed once, when `config apply` creates it.",
)

SERVICE = _object(
    {
        "name": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$", "maxLength": 100},
        "team": _NAME,
        "description": _with_default({"type": "string", "maxLength": 200}, ""),
        "escalation_policy": _optional(_NAME),
        "urgency_rule": {"enum": list(URGENCY_RULES), "default": "severity"},
        "ack_timeout_minutes": _optional({"type": "integer", "minimum": 1}),
        "auto_resolve_minutes": _optional({"type": "integer", "minimum": 1}),
        "slack_channel": _with_default({"type": "string", "maxLength": 32}, ""),
        "maintenance_windows": _list(WINDOW),
        "integrations": _list(INTEGRATION),
    },
    required=("name", "team"),
)

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "Plantão configuration",
    "description": "Teams, people, schedules, escalation policies and services, as "
    "`manage.py config export` writes them and `manage.py config apply` reads them.",
    "type": "object",
    "properties": {
        "version": {"const": VERSION},
        "teams": _list(TEAM),
        "people": _list(PERSON),
        "schedules": _list(SCHEDULE),
        "escalation_policies": _list(POLICY),
        "services": _list(SERVICE),
    },
    "required": ["version"],
    "additionalProperties": False,
}
