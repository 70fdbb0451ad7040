"""The checks JSON Schema cannot make: instants with their offset, time zones that exist, names
given once, references to what the file holds; and every key filled with its default."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from oncall.validators import ADDRESS_VALIDATORS

from . import schema
from .files import Parsed, Path
from .problems import Problem, path_text

DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES


def _defaults(shape: dict, given: dict) -> dict:
    """Return `given` with every property of `shape` present, defaults where missing."""
    filled = {}
    for key, prop in shape["properties"].items():
        filled[key] = given[key] if key in given else _copy(prop.get("default"))
    return filled


def _copy(value):
    return list(value) if isinstance(value, list) else value


@cache
def _zone_known(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_CLOCK = re.compile(r"^(\d{1,3}):(\d\d)$")


class Checker:
    """The checks JSON Schema cannot make: instants, zones, names unique, references known."""

    def __init__(self, parsed: Parsed):
        self.parsed = parsed
        self.problems: list[Problem] = []

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(Problem(self.parsed.line_of(path), path_text(path), message))

    # --- values ---------------------------------------------------------------------------

    def instant(self, value, path: Path) -> datetime | None:
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self.problem(path, f"{value!r} is not a date and time")
            return None
        return moment

    def zone(self, value: str, path: Path) -> str:
        if not _zone_known(value):
            self.problem(path, f"{value!r} is not a time zone (e.g. Europe/Lisbon)")
        return value

    def minutes(self, value: str, path: Path, most: int) -> tuple[str, int]:
        hours, minutes = (int(part) for part in _CLOCK.match(value).groups())
        total = hours * 60 + minutes
        if minutes >= 60 or total > most:
            self.problem(path, f"{value!r} is not a time up to {most // 60}:00")
        return f"{hours:02d}:{minutes:02d}", total

    def unique(self, items: list[dict], key, path: Path, what: str, said: str = "") -> None:
        seen = {}
        for index, item in enumerate(items):
            value = key(item)
            if value in seen:
                self.problem((*path, index), said or f"{what} {value!r} is given twice")
            seen[value] = index

    def known(self, value, names: set, path: Path, what: str) -> None:
        if value is not None and value not in names:
            self.problem(path, f"no {what} {value!r} in the file")

    # --- the file ------------------------------------------------------------------------------

    def normal(self, data: dict) -> dict:
        config = _defaults(schema.SCHEMA, data)
        teams = [self.team(t, ("teams", i)) for i, t in enumerate(config["teams"])]
        people = [self.person(p, ("people", i)) for i, p in enumerate(config["people"])]
        schedules = [self.schedule(s, ("schedules", i)) for i, s in enumerate(config["schedules"])]
        policies = [
            self.policy(p, ("escalation_policies", i))
            for i, p in enumerate(config["escalation_policies"])
        ]
        services = [self.service(s, ("services", i)) for i, s in enumerate(config["services"])]
        self.unique(teams, lambda t: t["name"], ("teams",), "team")
        self.unique(teams, lambda t: t["slug"], ("teams",), "team slug")
        self.unique(people, lambda p: p["email"].lower(), ("people",), "e-mail")
        self.unique(people, lambda p: p["username"], ("people",), "username")
        self.unique(schedules, lambda s: s["name"], ("schedules",), "schedule")
        self.unique(policies, lambda p: p["name"], ("escalation_policies",), "policy")
        self.unique(services, lambda s: s["name"], ("services",), "service")
        self.references(teams, people, schedules, policies, services)
        return {
            "version": schema.VERSION,
            "teams": teams,
            "people": people,
            "schedules": schedules,
            "escalation_policies": policies,
            "services": services,
        }

    def team(self, given: dict, path: Path) -> dict:
        team = _defaults(schema.TEAM, given)
        team["slug"] = team["slug"] or slugify(team["name"])
        if not team["slug"]:
            self.problem(
                (*path, "name"), "give a slug: the name has no letters or digits to make one"
            )
        team["members"] = [_defaults(schema.MEMBER, member) for member in team["members"]]
        self.unique(team["members"], lambda m: m["person"].lower(), (*path, "members"), "member")
        return team

    def person(self, given: dict, path: Path) -> dict:
        person = _defaults(schema.PERSON, given)
        person["username"] = person["username"] or person["email"]
        person["holiday_country"] = person["holiday_country"].upper()
        person["holiday_subdivision"] = person["holiday_subdivision"].upper()
        self.zone(person["time_zone"], (*path, "time_zone"))
        methods = []
        for index, method in enumerate(person["contact_methods"]):
            where = (*path, "contact_methods", index)
            method = _defaults(schema.CONTACT_METHOD, method)
            validate = ADDRESS_VALIDATORS.get(method["kind"])
            try:
                if validate is not None:
                    validate(method["address"])
            except ValidationError as error:
                self.problem((*where, "address"), " ".join(error.messages))
            method["rules"] = [_defaults(schema.RULE, rule) for rule in method["rules"]]
            self.unique(
                method["rules"],
                lambda r: (r["urgency"], r["after_minutes"]),
                (*where, "rules"),
                "rule",
            )
            methods.append(method)
        self.unique(
            methods, lambda m: (m["kind"], m["address"]), (*path, "contact_methods"), "method"
        )
        person["contact_methods"] = methods
        return person

    def schedule(self, given: dict, path: Path) -> dict:
        schedule = _defaults(schema.SCHEDULE, given)
        self.zone(schedule["time_zone"], (*path, "time_zone"))
        schedule["layers"] = [
            self.layer(layer, (*path, "layers", index))
            for index, layer in enumerate(schedule["layers"])
        ]
        overrides = []
        for index, override in enumerate(schedule["overrides"]):
            where = (*path, "overrides", index)
            override = _defaults(schema.OVERRIDE, override)
            self.span(override, where)
            overrides.append(override)
        schedule["overrides"] = overrides
        self.unique(
            overrides,
            lambda o: (o["person"].lower(), o["start"], o["end"]),
            (*path, "overrides"),
            "override",
            "the same override (person, start and end) is given twice",
        )
        return schedule

    def span(self, thing: dict, where: Path) -> None:
        thing["start"] = self.instant(thing["start"], (*where, "start"))
        thing["end"] = self.instant(thing["end"], (*where, "end"))
        if thing["start"] and thing["end"] and thing["end"] <= thing["start"]:
            self.problem((*where, "end"), "must be after start")

    def layer(self, given: dict, path: Path) -> dict:
        layer = _defaults(schema.LAYER, given)
        self.zone(layer["time_zone"], (*path, "time_zone"))
        for key in ("handoff", "active_from", "active_until"):
            layer[key] = self.instant(layer[key], (*path, key))
        since, until = layer["active_from"], layer["active_until"]
        if since and until and until <= since:
            self.problem((*path, "active_until"), "must be after active_from")
        restrictions = []
        for index, restriction in enumerate(layer["restrictions"]):
            where = (*path, "restrictions", index)
            restriction = _defaults(schema.RESTRICTION, restriction)
            if restriction["kind"] == "daily":
                restriction["weekday"] = "mon"
            most = DAY_MINUTES if restriction["kind"] == "daily" else WEEK_MINUTES
            restriction["start"], start = self.minutes(
                restriction["start"], (*where, "start"), DAY_MINUTES - 1
            )
            restriction["duration"], length = self.minutes(
                restriction["duration"], (*where, "duration"), most
            )
            if length == 0:
                self.problem((*where, "duration"), "must be longer than 00:00")
            restrictions.append(restriction)
        layer["restrictions"] = restrictions
        return layer

    def policy(self, given: dict, path: Path) -> dict:
        policy = _defaults(schema.POLICY, given)
        policy["steps"] = [_defaults(schema.STEP, step) for step in policy["steps"]]
        return policy

    def service(self, given: dict, path: Path) -> dict:
        service = _defaults(schema.SERVICE, given)
        windows = []
        for index, window in enumerate(service["maintenance_windows"]):
            window = _defaults(schema.WINDOW, window)
            self.span(window, (*path, "maintenance_windows", index))
            windows.append(window)
        service["maintenance_windows"] = windows
        self.unique(
            windows,
            lambda w: (w["start"], w["end"]),
            (*path, "maintenance_windows"),
            "window",
            "the same maintenance window (start and end) is given twice",
        )
        service["integrations"] = [
            _defaults(schema.INTEGRATION, integration) for integration in service["integrations"]
        ]
        self.unique(
            service["integrations"],
            lambda i: (i["kind"], i["name"]),
            (*path, "integrations"),
            "integration (kind and name)",
        )
        for index, integration in enumerate(service["integrations"]):
            beats = integration["heartbeat_interval_seconds"] is not None
            if beats != (integration["kind"] == "heartbeat"):
                self.problem(
                    (*path, "integrations", index, "heartbeat_interval_seconds"),
                    "a heartbeat integration needs heartbeat_interval_seconds; "
                    "no other kind has it",
                )
        return service

    # --- references ----------------------------------------------------------------------------

    def references(self, teams, people, schedules, policies, services) -> None:
        team_names = {t["name"] for t in teams}
        emails = {p["email"] for p in people}
        schedule_names = {s["name"] for s in schedules}
        policy_names = {p["name"] for p in policies}
        person = "person with e-mail"
        for i, team in enumerate(teams):
            self.known(team["manager"], emails, ("teams", i, "manager"), person)
            for j, member in enumerate(team["members"]):
                self.known(member["person"], emails, ("teams", i, "members", j, "person"), person)
        for i, schedule in enumerate(schedules):
            self.known(schedule["team"], team_names, ("schedules", i, "team"), "team")
            for j, layer in enumerate(schedule["layers"]):
                for k, email in enumerate(layer["participants"]):
                    self.known(
                        email, emails, ("schedules", i, "layers", j, "participants", k), person
                    )
            for j, override in enumerate(schedule["overrides"]):
                where = ("schedules", i, "overrides", j, "person")
                self.known(override["person"], emails, where, person)
        for i, policy in enumerate(policies):
            self.known(policy["team"], team_names, ("escalation_policies", i, "team"), "team")
            for j, step in enumerate(policy["steps"]):
                for k, target in enumerate(step["targets"]):
                    ((kind, name),) = target.items()
                    where = ("escalation_policies", i, "steps", j, "targets", k, kind)
                    names, what = {
                        "person": (emails, person),
                        "schedule": (schedule_names, "schedule"),
                    }.get(kind, (team_names, "team"))
                    self.known(name, names, where, what)
        for i, service in enumerate(services):
            self.known(service["team"], team_names, ("services", i, "team"), "team")
            where = ("services", i, "escalation_policy")
            self.known(service["escalation_policy"], policy_names, where, "escalation policy")
