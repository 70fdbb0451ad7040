"""Opsgenie's API answers to a Plantão configuration (pure: dicts in, an Import out)."""

from __future__ import annotations

import re

from django.utils.text import slugify

from incidents.importers.result import Import

from .schedules import schedule_convert

TOOL = "Opsgenie"
# Schedules, escalations and integrations that belong to no Opsgenie team go to this one.
NO_TEAM = "Opsgenie (no team)"
ROLES = {"admin": "admin", "user": "responder"}
CONTACT_KINDS = {"email": "email", "sms": "sms", "voice": "voice"}
INTEGRATION_KINDS = {"Prometheus": "alertmanager", "Grafana": "grafana", "API": "webhook"}
INTEGRATION_HOW = {
    "alertmanager": "in Alertmanager's receiver, a webhook_configs url: "
    "https://PLANTAO/integrations/alertmanager/<token>/",
    "grafana": "in Grafana's contact point (webhook), the URL: "
    "https://PLANTAO/integrations/grafana/<token>/",
    "webhook": "in the sender, POST Plantão's webhook JSON (not Opsgenie's alert API) to "
    "https://PLANTAO/integrations/webhook/<token>/",
}


def convert(answers: dict) -> Import:
    """Return the configuration made of Opsgenie's answers (see `fetch`), and what did not map."""
    imported = Import(tool=TOOL)
    emails = {user["id"]: user["username"].lower() for user in answers["users"]}
    teams = {team["id"]: _team(team, emails, imported) for team in answers["teams"]}
    for user in answers["users"]:
        imported.config["people"].append(
            _person(
                user,
                answers["contacts"].get(user["id"], []),
                answers.get("notification_rules", {}).get(user["id"], []),
                imported,
            )
        )
    schedules = {}
    for schedule in answers["schedules"]:
        team = _owner(schedule.get("ownerTeam"), teams, imported)
        overrides = answers["overrides"].get(schedule["id"], [])
        mapped = schedule_convert(schedule, overrides, team["name"], emails, imported)
        _members(team, mapped.people)
        schedules[schedule["id"]] = mapped.names
    policies = {}
    for escalation in answers["escalations"]:
        team = _owner(escalation.get("ownerTeam"), teams, imported)
        policy = _policy(escalation, team, schedules, teams, emails, imported)
        imported.config["escalation_policies"].append(policy)
        policies.setdefault(team["name"], []).append(policy["name"])
    for integration in answers["integrations"]:
        team = _owner({"id": integration.get("teamId")}, teams, imported)
        _integration(integration, team, policies, imported)
    _people_named(imported)
    return imported


def _people_named(imported: Import) -> None:
    """Add anyone the file names who was not among the users Opsgenie listed (a key that may
    not read every user), so that the file holds together; report each."""
    config = imported.config
    named = {member["person"] for team in config["teams"] for member in team["members"]}
    for schedule in config["schedules"]:
        named |= {p for layer in schedule["layers"] for p in layer["participants"]}
        named |= {override["person"] for override in schedule["overrides"]}
    for policy in config["escalation_policies"]:
        named |= {t["person"] for step in policy["steps"] for t in step["targets"] if "person" in t}
    known = {person["email"] for person in config["people"]}
    for email in sorted(named - known):
        config["people"].append({"email": email, "name": email})
        imported.skip("user", email, "not in Opsgenie's list of users: added by e-mail only")


def _team(team: dict, emails: dict[str, str], imported: Import) -> dict:
    mapped = {
        "name": team["name"][:100],
        "members": [
            {
                "person": (
                    emails.get(member["user"].get("id")) or member["user"]["username"]
                ).lower(),
                "role": ROLES.get(member.get("role", "user"), "responder"),
            }
            for member in team.get("members") or []
        ],
    }
    for member in team.get("members") or []:
        if member.get("role", "user") not in ROLES:
            imported.skip(
                "team member",
                f"{team['name']}: {member['user'].get('username')}",
                f"custom role {member.get('role')!r}: imported as a responder",
            )
    imported.config["teams"].append(mapped)
    return mapped


def _owner(owner: dict | None, teams: dict, imported: Import) -> dict:
    """Return the Plantão team of an Opsgenie owner team (or the team for things without)."""
    if owner and owner.get("id") in teams:
        return teams[owner["id"]]
    by_name = {team["name"]: team for team in teams.values()}
    if owner and owner.get("name") in by_name:
        return by_name[owner["name"]]
    for team in imported.config["teams"]:
        if team["name"] == NO_TEAM:
            return team
    team = {"name": NO_TEAM, "members": []}
    imported.config["teams"].append(team)
    imported.notes.append(
        f"Schedules, policies and integrations with no owner team in Opsgenie are in the team "
        f"{NO_TEAM!r}: rename it or move them."
    )
    return team


def _members(team: dict, people: set[str]) -> None:
    """Add those a team's schedules or policies name to its members, as responders."""
    known = {member["person"] for member in team["members"]}
    for person in sorted(people - known):
        team["members"].append({"person": person, "role": "responder"})


def _person(user: dict, contacts: list[dict], rules: list[dict], imported: Import) -> dict:
    methods = {}
    for contact in contacts:
        label = f"{user['username']}: {contact.get('method')} {contact.get('to')}"
        key = _method_key(contact)
        if key is None:
            imported.skip("contact method", label, "Plantão has no such channel, or no number")
            continue
        enabled = (contact.get("status") or {}).get("enabled", True)
        methods[key] = {"kind": key[0], "address": key[1], "rules": [], "enabled": enabled}
    for rule in rules:
        _notification_rule(user["username"], rule, methods, imported)
    if user.get("blocked"):
        imported.skip("user", user["username"], "blocked in Opsgenie: imported, check it")
    return {
        "email": user["username"].lower(),
        "name": (user.get("fullName") or user["username"])[:150],
        "time_zone": user.get("timeZone") or "UTC",
        "locale": (user.get("locale") or "en").split("_")[0],
        "contact_methods": [
            {key: value for key, value in method.items() if key != "enabled"}
            for method in methods.values()
        ],
    }


def _method_key(contact: dict) -> tuple[str, str] | None:
    kind = CONTACT_KINDS.get(contact.get("method"))
    if kind is None:
        return None
    address = contact.get("to", "") if kind == "email" else _phone(contact.get("to", ""))
    return (kind, address.lower() if kind == "email" else address) if address else None


def _notification_rule(username: str, rule: dict, methods: dict, imported: Import) -> None:
    """Add the steps of a "new alert" notification rule to the methods they page, as rules."""
    label = f"{username}: {rule.get('name')}"
    if not rule.get("enabled", True):
        return
    urgencies = ["high", "low"]
    if (rule.get("criteria") or {}).get("type", "match-all") != "match-all":
        urgencies = ["high"]
        imported.skip(
            "notification rule", label, "applies to some alerts only: imported for high urgency"
        )
    if rule.get("timeRestriction"):
        imported.skip("notification rule", label, "its time restriction is not imported")
    if (rule.get("repeat") or {}).get("enabled"):
        imported.skip("notification rule", label, "repeats its notifications: Plantão does not")
    for step in rule.get("steps") or []:
        method = methods.get(_method_key(step.get("contact") or {}))
        if not step.get("enabled", True) or method is None or not method["enabled"]:
            continue
        after = min(1440, _minutes(step.get("sendAfter")))
        for urgency in urgencies:
            wanted = {"urgency": urgency, "after_minutes": after}
            if wanted not in method["rules"]:
                method["rules"].append(wanted)


def _phone(text: str) -> str | None:
    """Return Opsgenie's "<country code>-<number>" as E.164, or None."""
    digits = re.sub(r"[^0-9]", "", text)
    if not re.fullmatch(r"[1-9][0-9]{6,14}", digits):
        return None
    return "+" + digits


def _policy(escalation, team, schedules, teams, emails, imported: Import) -> dict:
    name = escalation["name"][:100]
    delays: dict[int, list[dict]] = {}
    people = set()
    for rule in escalation.get("rules") or []:
        targets = _targets(rule, name, schedules, teams, emails, imported)
        if targets:
            delays.setdefault(_minutes(rule.get("delay")), []).extend(targets)
        people |= {target["person"] for target in targets if "person" in target}
        if rule.get("condition", "if-not-acked") != "if-not-acked":
            imported.skip(
                "escalation rule",
                name,
                f"condition {rule['condition']!r}: Plantão escalates until acknowledged",
            )
    _members(team, people)
    times = sorted(delays)
    if times and times[0] > 0:
        imported.skip(
            "escalation policy",
            name,
            f"its first rule waits {times[0]} min; Plantão pages the first step at once",
        )
    repeat = escalation.get("repeat") or {}
    count = int(repeat.get("count") or 0) if repeat.get("enabled", True) else 0
    last_wait = max(1, int(repeat.get("waitInterval") or 5)) if count else 5
    steps = [
        {
            "escalate_after_minutes": min(1440, later - delay) if later else last_wait,
            "targets": delays[delay],
        }
        for delay, later in zip(times, [*times[1:], None], strict=True)
    ]
    if count > 20:
        imported.skip("escalation policy", name, f"repeats {count} times: Plantão repeats 20")
    if repeat.get("closeAlertAfterAll"):
        imported.skip(
            "escalation policy", name, "closes the alert after the repeats: Plantão does not"
        )
    if not steps:
        imported.skip("escalation policy", name, "no rule could be imported: it has no steps")
    return {
        "name": name,
        "team": team["name"],
        "repeat": min(count, 20),
        "description": escalation.get("description") or "",
        "steps": steps,
    }


def _minutes(delay: dict | None) -> int:
    if not delay:
        return 0
    amount = int(delay.get("timeAmount") or 0)
    return amount * {"hours": 60, "days": 1440}.get(delay.get("timeUnit"), 1)


def _targets(rule, policy, schedules, teams, emails, imported: Import) -> list[dict]:
    recipient = rule.get("recipient") or {}
    kind, notify = recipient.get("type"), rule.get("notifyType", "default")
    label = f"{policy}: {kind} {recipient.get('name') or recipient.get('username') or ''}".strip()
    if kind == "user":
        email = emails.get(recipient.get("id")) or recipient.get("username")
        return [{"person": email.lower()}] if email else []
    if kind == "schedule" and recipient.get("id") in schedules:
        if notify != "default":
            imported.skip(
                "escalation rule", label, f"notifies the {notify} on-call: Plantão the current one"
            )
        return [{"schedule": name} for name in schedules[recipient["id"]]]
    if kind == "team" and recipient.get("id") in teams:
        team = teams[recipient["id"]]["name"]
        if notify == "random":
            imported.skip("escalation rule", label, "a random member: Plantão takes them in turn")
            return [{"team_round_robin": team}]
        if notify != "users":
            imported.skip(
                "escalation rule",
                label,
                f"notifies the team ({notify}) through its routing rules: Plantão pages "
                "every member of the team",
            )
        return [{"team_all": team}]
    imported.skip("escalation rule", label, "Plantão cannot page this recipient; rule left out")
    return []


def _integration(integration: dict, team: dict, policies: dict, imported: Import) -> None:
    label = f"{integration.get('name')} ({integration.get('type')})"
    kind = INTEGRATION_KINDS.get(integration.get("type"))
    if kind is None:
        imported.skip("integration", label, "Plantão has no integration of this kind")
        return
    if not integration.get("enabled", True):
        imported.skip("integration", label, "disabled in Opsgenie; not imported")
        return
    service_name = slugify(team["name"]) or "opsgenie"
    service = next((s for s in imported.config["services"] if s["name"] == service_name), None)
    if service is None:
        names = sorted(policies.get(team["name"], []))
        service = {
            "name": service_name,
            "team": team["name"],
            "description": f"Alerts that came to {team['name']}'s Opsgenie integrations",
            "escalation_policy": names[0] if names else None,
            "integrations": [],
        }
        imported.config["services"].append(service)
        if len(names) > 1:
            imported.skip(
                "routing rules",
                team["name"],
                f"not imported: the service {service_name!r} escalates by {names[0]!r}; "
                "Opsgenie chose among the team's escalations by routing rules",
            )
    service["integrations"].append({"kind": kind, "name": integration["name"][:100]})
    imported.notes.append(
        f"Integration {integration['name']!r} of service {service_name!r}: after `config "
        f"apply` prints its token, put it {INTEGRATION_HOW[kind]}"
    )
