"""A configuration file used by the plan and apply tests, and how to apply it in a test."""

from __future__ import annotations

from datetime import UTC, datetime

from incidents.configuration import files
from incidents.configuration.apply import config_apply
from incidents.configuration.normal import load
from incidents.configuration.plan import config_plan

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
NAME = "plantao.yaml"

FILE = """\
version: 1
teams:
  - name: SRE
    manager: ana@example.com
    members:
      - {person: ana@example.com, role: admin}
      - person: bo@example.com
      - person: cy@example.com
people:
  - email: ana@example.com
    name: Ana Souza
    time_zone: America/Sao_Paulo
    contact_methods:
      - kind: sms
        address: "+5511987654321"
        rules: [{urgency: high}, {urgency: low, after_minutes: 5}]
      - {kind: email, address: ana@example.com}
  - email: bo@example.com
    name: Bo
    contact_methods:
      - {kind: email, address: bo@example.com, label: work, rules: [{urgency: high}]}
  - email: cy@example.com
    name: Cy
schedules:
  - name: Follow the sun
    team: SRE
    layers:
      - name: Americas
        turn_unit: days
        handoff: 2026-01-05T09:00:00-03:00
        time_zone: America/Sao_Paulo
        participants: [ana@example.com, bo@example.com]
        restrictions:
          - {kind: daily, start: "9:00", duration: "12:00"}
      - name: Europe
        handoff: 2026-01-05T09:00:00+00:00
        time_zone: Europe/Lisbon
        participants: [cy@example.com]
    overrides:
      - {person: bo@example.com, start: 2026-12-24T00:00:00Z, end: 2026-12-26T00:00:00Z}
escalation_policies:
  - name: SRE default
    team: SRE
    steps:
      - targets: [{schedule: Follow the sun}]
      - escalate_after_minutes: 10
        targets: [{team_all: SRE}]
  - name: SRE quiet
    team: SRE
    steps:
      - targets: [{person: ana@example.com}]
services:
  - name: cdn
    team: SRE
    escalation_policy: SRE default
    maintenance_windows:
      - {start: 2026-12-20T01:00:00Z, end: 2026-12-20T03:00:00Z, reason: upgrade}
    integrations:
      - {kind: alertmanager, name: prod}
      - {kind: heartbeat, name: cron, heartbeat_interval_seconds: 600}
  - name: api
    team: SRE
    escalation_policy: SRE quiet
"""


def data(text: str = FILE) -> dict:
    return files.parse(text).data


def text_of(config: dict) -> str:
    return files.dump(config)


def plan(text: str = FILE, *, prune: bool = False):
    return config_plan(loaded=load(text, NAME), prune=prune, now=NOW)


def apply(text: str = FILE, *, prune: bool = False, trust_verified: bool = True, actor=None):
    return config_apply(
        loaded=load(text, NAME),
        prune=prune,
        trust_verified=trust_verified,
        now=NOW,
        origin=NAME,
        actor=actor,
    )


def edited(change, text: str = FILE) -> str:
    """Return the file with `change(config)` made to its data."""
    config = data(text)
    change(config)
    return text_of(config)
