"""Grafana OnCall users, their personal notification rules, and teams."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..result import Import

ROLES = {"admin": "admin", "user": "responder", "editor": "responder", "observer": "viewer"}
SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
CHANNELS = {"notify_by_email": "email", "notify_by_slack": "slack"}
NO_NUMBER = ("notify_by_sms", "notify_by_phone_call")


def person_of(imported: Import, user: dict, rules: list[dict]) -> dict:
    """Return the Plantão person of a Grafana OnCall user and their notification rules."""
    email = user["email"]
    zone = user.get("timezone") or "UTC"
    if not _zone(zone):
        imported.skip("user", email, f"time zone {zone!r} is not an IANA zone; UTC was used")
        zone = "UTC"
    addresses = {"email": email}
    slack = [s.get("user_id") for s in user.get("slack") or [] if isinstance(s, dict)]
    if isinstance(user.get("slack"), dict):  # Grafana Cloud gives one object, OSS a list
        slack = [user["slack"].get("user_id")]
    slack = [member for member in slack if member and SLACK_ID.match(member)]
    if slack:
        addresses["slack"] = slack[0]
    methods = {kind: [] for kind in addresses}
    _rules(imported, email, rules, methods)
    return {
        "email": email,
        "name": (user.get("name") or user.get("username") or email)[:150],
        "username": (user.get("username") or email)[:150],
        "time_zone": zone,
        "contact_methods": [
            {"kind": kind, "address": address, "label": "Grafana OnCall", "rules": methods[kind]}
            for kind, address in addresses.items()
        ],
    }


def _rules(imported: Import, email: str, rules: list[dict], methods: dict) -> None:
    """Fill `methods` (kind -> rules) from the user's default (not important) rules: each
    notify rule becomes a rule at both urgencies, after the waits before it."""
    ordered = sorted(rules, key=lambda r: (bool(r.get("important")), r.get("position") or 0))
    minutes, told = 0, set()
    for rule in ordered:
        kind = rule.get("type")
        if rule.get("important"):
            if "important" not in told:
                told.add("important")
                imported.skip(
                    "notification rule",
                    email,
                    "the 'important' rules were not imported: Plantão has one set of rules, "
                    "and it holds the user's default rules",
                )
            continue
        if kind == "wait":
            minutes = min(1440, minutes + int(rule.get("duration") or 0) // 60)
            continue
        channel = CHANNELS.get(kind)
        if channel in methods:
            for urgency in ("high", "low"):
                wanted = {"urgency": urgency, "after_minutes": minutes}
                if wanted not in methods[channel]:
                    methods[channel].append(wanted)
        elif kind not in told:
            told.add(kind)
            why = {
                "notify_by_slack": "they have no Slack member id in Grafana OnCall",
            }.get(
                kind,
                "the API does not give phone numbers: add a verified number in Plantão"
                if kind in NO_NUMBER
                else "Plantão has no such channel (it has SMS, voice, e-mail and Slack)",
            )
            imported.skip("notification rule", f"{email} / {kind}", why)


def _zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class Teams:
    """The teams of the file, their members, and the one team for what had no team."""

    def __init__(self, teams: list[dict]):
        self.names = {team["id"]: team["name"][:100] for team in teams}
        self.members: dict[str, dict[str, str]] = {name: {} for name in self.names.values()}
        taken = set(self.names.values())
        self.no_team = "General" if "General" not in taken else "General (no team in OnCall)"

    def name_of(self, team_id: str | None) -> str:
        """Return the team name for a Grafana OnCall team id (or the one team for none)."""
        name = self.names.get(team_id or "")
        if name is None:
            name = self.no_team
            self.members.setdefault(name, {})
        return name

    def join(self, team: str, email: str, role: str = "responder") -> None:
        """Make `email` a member of `team`: a viewer who is paged becomes a responder; any
        other role they already have is kept."""
        members = self.members.setdefault(team, {})
        if members.get(email, "viewer") == "viewer":
            members[email] = role

    def config(self) -> list[dict]:
        return [
            {
                "name": name,
                "members": [
                    {"person": email, "role": role} for email, role in sorted(members.items())
                ],
            }
            for name, members in self.members.items()
        ]
