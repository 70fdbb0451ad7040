"""Grafana OnCall escalation chains as Plantão escalation policies, integrations as services.

A chain's escalation policies (its steps) run in position order: notify steps act at once, a
`wait` delays what follows. A Plantão step is the targets paged together and the minutes before
the next step, so each run of notify steps becomes a step and the waits after it its minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.text import slugify

from ..result import Import

# Grafana OnCall's "repeat escalation" repeats the chain from the top, five times at most.
REPEATS = 5
DEFAULT_MINUTES = 5

KINDS = {
    "alertmanager": "alertmanager",
    "legacy_alertmanager": "alertmanager",
    "grafana": "grafana",
    "grafana_alerting": "grafana",
    "legacy_grafana_alerting": "grafana",
    "webhook": "webhook",
    "formatted_webhook": "webhook",
}
PATHS = {
    "alertmanager": "/integrations/alertmanager/<token>/",
    "grafana": "/integrations/grafana/<token>/",
    "webhook": "/integrations/webhook/<token>/",
    "pagerduty": "/v2/enqueue (with the token as routing_key)",
}
UNMAPPED_STEPS = {
    "notify_user_group": "pages a Slack user group; Plantão pages people, schedules and teams",
    "notify_person_next_each_time": "pages the next of a list of people each time; Plantão's "
    "round robin is over a team (team_round_robin)",
    "trigger_webhook": "calls an outgoing webhook; Plantão has no webhook steps",
    "notify_whole_channel": "posts to the whole Slack channel",
    "resolve": "resolves the alert group; Plantão never resolves by itself",
    "notify_if_time_from_to": "continues only between two times of day",
    "notify_if_num_alerts_in_window": "continues only after a number of alerts",
    "declare_incident": "declares a Grafana Incident",
}


@dataclass
class Lookup:
    """What a chain's steps refer to, by Grafana OnCall id: e-mails, schedule and team names."""

    emails: dict[str, str]
    schedules: dict[str, str]
    teams: dict[str, str]
    member: Callable[[str, str], None]  # member(team name, e-mail): make sure they are in it


@dataclass
class _Step:
    targets: list[dict] = field(default_factory=list)
    minutes: int = 0


def policy_of(imported: Import, chain: dict, steps: list[dict], team: str, lookup: Lookup) -> dict:
    """Return the Plantão escalation policy of `chain` with its `steps` (escalation policies)."""
    name = chain["name"][:100]
    built: list[_Step] = []
    current = _Step()
    repeat, waited_first, important = 0, 0, False
    for position, step in enumerate(sorted(steps, key=lambda s: s.get("position") or 0)):
        kind = step.get("type")
        where = f"{name} / step {position + 1} ({kind})"
        if kind == "wait":
            minutes = max(1, int(step.get("duration") or 0) // 60)
            if current.targets:
                current.minutes += minutes
                built.append(current)
                current = _Step()
            elif built:
                built[-1].minutes += minutes
            else:
                waited_first += minutes
            continue
        if kind == "repeat_escalation":
            repeat = REPEATS
            if position != len(steps) - 1:
                imported.skip("escalation step", where, "steps after a repeat were kept in order")
            continue
        if kind in UNMAPPED_STEPS:
            imported.skip("escalation step", where, UNMAPPED_STEPS[kind])
            continue
        important = important or bool(step.get("important"))
        current.targets += _targets(imported, step, where, team, lookup)
    if current.targets:
        built.append(current)
    if waited_first:
        imported.skip(
            "escalation policy",
            name,
            f"waits {waited_first} minutes before its first page; Plantão pages the first step "
            "at once",
        )
    if important:
        imported.skip(
            "escalation policy",
            name,
            "has steps marked important; Plantão has no important steps: each person's "
            "ordinary notification rules apply",
        )
    return {
        "name": name,
        "team": team,
        "repeat": repeat,
        "description": f"Imported from Grafana OnCall escalation chain {chain['id']}.",
        "steps": [
            {
                "escalate_after_minutes": min(1440, step.minutes or DEFAULT_MINUTES),
                "targets": step.targets,
            }
            for step in built
        ],
    }


def _targets(imported: Import, step: dict, where: str, team: str, lookup: Lookup) -> list[dict]:
    kind = step.get("type")
    if kind in ("notify_persons", "notify_person"):
        found = []
        for user in step.get("persons_to_notify") or []:
            email = lookup.emails.get(user)
            if email is None:
                imported.skip("escalation step", where, f"user {user} is not in users.json")
                continue
            lookup.member(team, email)
            found.append({"person": email})
        return found
    if kind == "notify_on_call_from_schedule":
        schedule = step.get("notify_on_call_from_schedule")
        if schedule in lookup.schedules:
            return [{"schedule": lookup.schedules[schedule]}]
        imported.skip("escalation step", where, f"schedule {schedule} was not imported")
        return []
    if kind == "notify_team_members":
        group = step.get("team_to_notify") or step.get("notify_to_team_members")
        if group in lookup.teams:
            return [{"team_all": lookup.teams[group]}]
        imported.skip("escalation step", where, f"team {group} is not in teams.json")
        return []
    imported.skip("escalation step", where, "is a step Plantão does not know")
    return []


def services_of(
    imported: Import,
    integrations: list[dict],
    routes: list[dict],
    chains: dict[str, dict],
    team_of: Callable[[str | None], str],
) -> list[dict]:
    """Return one service per escalation chain that integrations send to (by default route),
    holding those integrations; report what has no Plantão kind, and filtered routes."""
    services: dict[str, dict] = {}
    for integration in integrations:
        label = integration.get("name") or integration["id"]
        kind = KINDS.get(integration.get("type"))
        if kind is None:
            imported.skip(
                "integration",
                label,
                f"type {integration.get('type')!r} has no Plantão kind (alertmanager, grafana, "
                "webhook, pagerduty); send it as a generic webhook instead",
            )
            continue
        default = integration.get("default_route") or {}
        chain = chains.get(default.get("escalation_chain_id") or "")
        key = chain["id"] if chain else f"integration {integration['id']}"
        if key not in services:
            base = chain["name"] if chain else label
            services[key] = {
                "name": _service_name(base, services),
                "team": team_of(chain["team_id"] if chain else integration.get("team_id")),
                "description": f"Imported from Grafana OnCall: alerts sent to {base}."[:200],
                "escalation_policy": chain["name"][:100] if chain else None,
                "integrations": [],
            }
        service = services[key]
        service["integrations"].append({"kind": kind, "name": label[:100]})
        old = integration.get("link") or "Grafana OnCall"
        imported.notes.append(
            f"service {service['name']}: after `config apply` prints the token of its {kind} "
            f"integration {label!r}, send what went to {old} to https://<plantão>{PATHS[kind]}"
        )
    names = {i["id"]: i.get("name") or i["id"] for i in integrations}
    defaults = {(i.get("default_route") or {}).get("id") for i in integrations}
    for route in routes:
        if route.get("id") in defaults or route.get("is_the_last_route"):
            continue
        chain = chains.get(route.get("escalation_chain_id") or "")
        imported.skip(
            "route",
            f"{names.get(route.get('integration_id'), route.get('integration_id'))} / "
            f"{route.get('routing_regex')}",
            "Plantão sends all of an integration's alerts to its service's policy; for alerts "
            f"matching this route (to {chain['name'] if chain else 'no chain'}), add an "
            "integration to a service of that policy and point those alerts at it",
        )
    return list(services.values())


def _service_name(base: str, taken: dict) -> str:
    name = slugify(base)[:90] or "service"
    used = {service["name"] for service in taken.values()}
    candidate, number = name, 2
    while candidate in used:
        candidate, number = f"{name}-{number}", number + 1
    return candidate
