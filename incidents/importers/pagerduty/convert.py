"""PagerDuty's answers (see `fetch`) as a configuration file: a pure function of dicts."""

from __future__ import annotations

import math
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from incidents.importers.result import Import

from .schedules import schedule_of

NO_TEAM = "PagerDuty (no team)"  # where schedules, policies and services with no team go
ROLES = {"manager": "admin", "responder": "responder", "observer": "viewer"}
PHONE_KINDS = {"phone_contact_method": "voice", "sms_contact_method": "sms"}
URGENCIES = {"high": ["high"], "low": ["low"], "any": ["high", "low"]}


def convert(answers: dict) -> Import:
    """Return the configuration made from PagerDuty's `answers`, and what did not map."""
    imported = Import(tool="PagerDuty")
    config = imported.config
    emails, config["people"] = _people(imported, answers.get("users", []))
    teams = _Teams(imported, answers.get("teams", []), answers.get("members", {}), emails)
    schedule_names = {}
    for given in answers.get("schedules", []):
        name = _unique(given.get("name") or given["id"], schedule_names.values())
        schedule_names[given["id"]] = name
        team = teams.of(given, "schedule", name)
        schedule = schedule_of(
            imported, given, name, team, emails, answers.get("overrides", {}).get(given["id"], [])
        )
        config["schedules"].append(schedule)
        imported.schedule_ids[name] = given["id"]
        for layer in schedule["layers"]:
            teams.need(team, layer["participants"])
        teams.need(team, [override["person"] for override in schedule["overrides"]])
    policy_names = {}
    for given in answers.get("escalation_policies", []):
        policy = _policy(imported, given, teams, emails, schedule_names, policy_names.values())
        if policy is not None:
            policy_names[given["id"]] = policy["name"]
            config["escalation_policies"].append(policy)
    config["services"] = _services(imported, answers.get("services", []), teams, policy_names)
    config["teams"] = teams.listed()
    return imported


# --- people ------------------------------------------------------------------------------------


def _people(imported: Import, users: list) -> tuple[dict, list]:
    emails, people = {}, []
    for user in users:
        email = (user.get("email") or "").strip().lower()
        name = user.get("name") or email
        if not email or email in emails.values():
            imported.skip("user", name, "no e-mail, or one given twice: left out")
            continue
        emails[user["id"]] = email
        zone = user.get("time_zone") or "UTC"
        if not _known(zone):
            imported.skip("user", name, f"time zone {zone!r} is unknown here: set to UTC")
            zone = "UTC"
        people.append(
            {
                "email": email,
                "name": name[:150],
                "time_zone": zone,
                "contact_methods": _contact_methods(imported, user, name),
            }
        )
    return emails, people


def _contact_methods(imported: Import, user: dict, name: str) -> list:
    methods, by_id = {}, {}
    for given in user.get("contact_methods") or []:
        kind = given.get("type", "")
        address = str(given.get("address") or "").strip()
        if kind == "email_contact_method":
            found = ("email", address)
        elif kind in PHONE_KINDS:
            found = (PHONE_KINDS[kind], f"+{given.get('country_code', '')}{_digits(address)}")
        else:
            what = kind.removesuffix("_contact_method").replace("_", " ")
            imported.skip("contact method", name, f"{what} ({given.get('label', '')}): none here")
            continue
        if not re.fullmatch(r"\+\d{6,15}", found[1]) and found[0] != "email":
            imported.skip("contact method", name, f"{found[1]!r} is not a phone number")
            continue
        method = methods.setdefault(
            found,
            {"kind": found[0], "address": found[1], "label": (given.get("label") or "")[:50]},
        )
        method.setdefault("rules", [])
        by_id[given.get("id")] = method
    for rule in user.get("notification_rules") or []:
        method = by_id.get((rule.get("contact_method") or {}).get("id"))
        if method is None:
            continue  # its method did not map, and is reported already
        after = min(int(rule.get("start_delay_in_minutes") or 0), 1440)
        for urgency in URGENCIES.get(rule.get("urgency"), ["high"]):
            if {"urgency": urgency, "after_minutes": after} not in method["rules"]:
                method["rules"].append({"urgency": urgency, "after_minutes": after})
    return list(methods.values())


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


# --- teams -------------------------------------------------------------------------------------


class _Teams:
    """The file's teams: PagerDuty's with their members, and NO_TEAM when something needs it."""

    def __init__(self, imported: Import, teams: list, members: dict, emails: dict):
        self.imported = imported
        self.names = {}
        self.members: dict[str, dict[str, str]] = {}
        for team in teams:
            name = _unique(team.get("name") or team["id"], self.names.values())
            self.names[team["id"]] = name
            self.members[name] = {}
            for member in members.get(team["id"], []):
                user_id = (member.get("user") or {}).get("id")
                if user_id not in emails:
                    imported.skip("team member", name, f"user {user_id} is not among the users")
                    continue
                self.members[name][emails[user_id]] = ROLES.get(member.get("role"), "responder")

    def of(self, given: dict, kind: str, name: str) -> str:
        """Return the team of a PagerDuty object (its first team), NO_TEAM if it has none."""
        known = [ref["id"] for ref in given.get("teams") or [] if ref.get("id") in self.names]
        if len(known) > 1:
            others = ", ".join(self.names[team_id] for team_id in known[1:])
            self.imported.skip(kind, name, f"also in team(s) {others}: Plantão keeps one team")
        if not known:
            self.members.setdefault(NO_TEAM, {})
            return NO_TEAM
        return self.names[known[0]]

    def need(self, team: str, people: list) -> None:
        """Make `people` members of `team` (responders) if they are not."""
        for email in people:
            self.members[team].setdefault(email, "responder")

    def listed(self) -> list:
        return [
            {
                "name": name,
                "members": [{"person": p, "role": role} for p, role in sorted(members.items())],
            }
            for name, members in self.members.items()
        ]


# --- escalation policies -----------------------------------------------------------------------


def _policy(imported, given, teams, emails, schedule_names, taken) -> dict | None:
    name = _unique(given.get("name") or given["id"], taken)
    team = teams.of(given, "escalation policy", name)
    steps = []
    for index, rule in enumerate(given.get("escalation_rules") or [], start=1):
        targets = []
        for target in rule.get("targets") or []:
            kind, target_id = target.get("type", ""), target.get("id")
            if kind in ("user_reference", "user") and target_id in emails:
                targets.append({"person": emails[target_id]})
                teams.need(team, [emails[target_id]])
            elif kind in ("schedule_reference", "schedule") and target_id in schedule_names:
                targets.append({"schedule": schedule_names[target_id]})
            else:
                what = target.get("summary") or target_id
                imported.skip("escalation target", f"{name} step {index}", f"{kind} {what}")
        if not targets:
            imported.skip("escalation step", f"{name} step {index}", "no target mapped: left out")
            continue
        delay = int(rule.get("escalation_delay_in_minutes") or 1)
        if not 1 <= delay <= 1440:
            imported.skip("escalation step", f"{name} step {index}", f"{delay} minutes: clamped")
        steps.append({"escalate_after_minutes": min(max(delay, 1), 1440), "targets": targets})
    loops = int(given.get("num_loops") or 0)
    if loops > 20:
        imported.skip("escalation policy", name, f"repeats {loops} times: Plantão stops at 20")
    return {
        "name": name,
        "team": team,
        "repeat": min(loops, 20),
        "description": given.get("description") or "",
        "steps": steps,
    }


# --- services and integrations -----------------------------------------------------------------

PATHS = {
    "alertmanager": "/integrations/alertmanager/<token>/",
    "grafana": "/integrations/grafana/<token>/",
    "webhook": "/integrations/webhook/<token>/",
}
WHERE = {
    "alertmanager": "Alertmanager's receiver (webhook_configs url)",
    "grafana": "Grafana's contact point (webhook URL)",
    "webhook": "the sender's webhook URL",
}


def _services(imported: Import, services: list, teams: _Teams, policy_names: dict) -> list:
    found, taken = [], []
    for given in services:
        label = given.get("name") or given["id"]
        name = _unique(_slug(label), taken, joiner="-")
        taken.append(name)
        policy_id = (given.get("escalation_policy") or {}).get("id")
        team = teams.of(given, "service", name)
        found.append(
            {
                "name": name,
                "team": team,
                "description": (given.get("description") or "")[:200],
                "escalation_policy": policy_names.get(policy_id),
                "urgency_rule": _urgency(imported, given, name),
                "ack_timeout_minutes": _minutes(given.get("acknowledgement_timeout")),
                "auto_resolve_minutes": _minutes(given.get("auto_resolve_timeout")),
                "integrations": _integrations(imported, given.get("integrations") or [], name),
            }
        )
        if given.get("status") == "disabled":
            imported.skip("service", name, "disabled in PagerDuty: imported enabled")
    return found


def _urgency(imported: Import, service: dict, name: str) -> str:
    rule = service.get("incident_urgency_rule") or {}
    if rule.get("type") == "constant":
        return {"high": "high", "low": "low"}.get(rule.get("urgency"), "severity")
    if rule.get("type") == "use_support_hours":
        imported.skip("urgency rule", name, "support hours: none here; high urgency always")
        return "high"
    return "severity"


def _integrations(imported: Import, integrations: list, service: str) -> list:
    found = []
    for given in integrations:
        label = given.get("name") or given.get("summary") or given.get("id", "")
        vendor = ((given.get("vendor") or {}).get("summary") or "").lower()
        kind = _integration_kind(given.get("type", ""), vendor)
        if kind is None:
            imported.skip("integration", f"{service} / {label}", _why_not(given.get("type", "")))
            continue
        name = _unique(label[:100], [i["name"] for i in found if i["kind"] == kind])
        found.append({"kind": kind, "name": name})
        if kind == "pagerduty":
            where = (
                "send to /v2/enqueue with the token as routing_key (an Events API v2 sender "
                "needs only its URL and key changed)"
            )
        else:
            where = f"put {PATHS[kind]} into {WHERE[kind]}"
        imported.notes.append(
            f"service {service}, {kind} integration {name!r}: after `config apply` prints its "
            f"token, {where}"
        )
    return found


def _integration_kind(kind: str, vendor: str) -> str | None:
    if kind in ("events_api_v2_inbound_integration", "generic_events_api_inbound_integration"):
        if "prometheus" in vendor or "alertmanager" in vendor:
            return "alertmanager"
        if "grafana" in vendor:
            return "grafana"
        if kind == "events_api_v2_inbound_integration":
            return "pagerduty"
    return None


def _why_not(kind: str) -> str:
    if kind == "generic_events_api_inbound_integration":
        return "Events API v1: Plantão takes Events API v2 (/v2/enqueue); move the sender to v2"
    if kind == "generic_email_inbound_integration":
        return "e-mail integration: Plantão takes no alerts by e-mail"
    return f"{kind or 'unknown type'}: no such integration here"


# --- helpers -----------------------------------------------------------------------------------


def _minutes(seconds) -> int | None:
    return max(1, math.ceil(seconds / 60)) if isinstance(seconds, int) and seconds > 0 else None


def _slug(text: str) -> str:
    slug = re.sub(r"[^-a-zA-Z0-9_]+", "-", text).strip("-").lower()
    return (slug or "service")[:100]


def _unique(name: str, taken, joiner: str = " ") -> str:
    taken = set(taken)
    name = name[:100]
    candidate, number = name, 2
    while candidate in taken:
        suffix = f"{joiner}{number}" if joiner == "-" else f" ({number})"
        candidate, number = name[: 100 - len(suffix)] + suffix, number + 1
    return candidate


def _known(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
