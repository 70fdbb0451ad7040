"""A configuration file checked whole and put in normal form.

`load(text)` returns the file's normal form: every key present (defaults filled in), instants as
aware datetimes, clock times as "HH:MM", and the lists whose order means nothing sorted, so that
two files saying the same thing have equal normal forms. Every mistake is reported at once, each
with its line and path; nothing in the database is read.

Order that means something is kept: layers (the last wins), a layer's participants (their turns),
a policy's steps and a step's targets, a service's integrations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from oncall.validators import ADDRESS_VALIDATORS

from . import schema
from .files import Parsed, Path, YamlError, parse

DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES


@dataclass(frozen=True)
class Problem:
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"

    def as_dict(self) -> dict:
        return {"line": self.line, "path": self.path, "message": self.message}


class ConfigInvalid(ValueError):
    """The file has mistakes; `problems` names each, with its line."""

    def __init__(self, problems: list[Problem], name: str = ""):
        self.problems = problems
        self.name = name
        prefix = f"{name}: " if name else ""
        super().__init__("\n".join(f"{prefix}{problem}" for problem in problems))


@dataclass
class Loaded:
    """A file's normal form, and where each of its values was in the file."""

    config: dict
    parsed: Parsed

    def line_of(self, path: Path) -> int:
        return self.parsed.line_of(path)


def path_text(path: Path) -> str:
    """Return a path as people read it: schedules[0].layers[1].time_zone."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@cache
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema.SCHEMA)


def load(text: str, name: str = "") -> Loaded:
    """Return the normal form of the configuration file `text`, or raise ConfigInvalid."""
    try:
        parsed = parse(text)
    except YamlError as error:
        raise ConfigInvalid([Problem(error.line, "", error.message)], name) from None
    if not isinstance(parsed.data, dict):
        raise ConfigInvalid([Problem(1, "", "the file must be a mapping, with version: 1")], name)
    problems = [
        Problem(
            parsed.line_of(tuple(error.absolute_path)), path_text(error.absolute_path), _said(error)
        )
        for error in sorted(
            _validator().iter_errors(parsed.data), key=lambda e: list(map(str, e.absolute_path))
        )
    ]
    if problems:
        raise ConfigInvalid(_first_per_path(problems), name)
    checker = _Checker(parsed)
    config = checker.normal(parsed.data)
    if checker.problems:
        raise ConfigInvalid(sorted(checker.problems, key=lambda p: p.line), name)
    return Loaded(config=config, parsed=parsed)


def normalized(config: dict) -> dict:
    """Return the normal form of a configuration given as data (an importer's, a test's)."""
    from .files import dump

    return load(dump(config)).config


def _said(error) -> str:
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"unknown key {', '.join(map(repr, extra))}"
    if error.validator in ("maxProperties", "minProperties") and "team_all" in error.schema.get(
        "properties", {}
    ):
        return "a target names exactly one of person, schedule, team_all, team_round_robin"
    if error.validator == "pattern" and error.schema.get("pattern") == schema._INSTANT["pattern"]:
        return (
            f"{error.instance!r} is not an instant with its offset, e.g. 2026-03-29T09:00:00+01:00"
        )
    if error.validator == "pattern" and error.schema.get("pattern") == schema._CLOCK["pattern"]:
        return f"{error.instance!r} is not a time as HH:MM"
    if error.validator == "const":
        return f"must be {error.schema['const']!r} (got {error.instance!r})"
    if error.validator == "anyOf":
        return f"{error.instance!r} is not {_wanted(error.schema['anyOf'][0])} (or null)"
    message = error.message
    return message if len(message) <= 200 else message[:197] + "..."


def _wanted(shape: dict) -> str:
    return {"string": "text", "integer": "a whole number"}.get(shape.get("type"), "valid")


def _first_per_path(problems: list[Problem]) -> list[Problem]:
    seen, kept = set(), []
    for problem in problems:
        if problem.path not in seen:
            seen.add(problem.path)
            kept.append(problem)
    return kept


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


class _Checker:
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

    def unique(self, items: list[dict], key, path: Path, what: str) -> None:
        seen = {}
        for index, item in enumerate(items):
            value = key(item)
            if value in seen:
                self.problem((*path, index), f"{what} {value!r} is given twice")
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
        if self.problems:
            return {}
        return ordered(
            {
                "version": schema.VERSION,
                "teams": teams,
                "people": people,
                "schedules": schedules,
                "escalation_policies": policies,
                "services": services,
            }
        )

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


def ordered(config: dict) -> dict:
    """Sort, in place, the lists of a checked file whose order means nothing; return it."""
    config["teams"].sort(key=lambda t: t["name"])
    config["people"].sort(key=lambda p: p["email"])
    config["schedules"].sort(key=lambda s: s["name"])
    config["escalation_policies"].sort(key=lambda p: p["name"])
    config["services"].sort(key=lambda s: s["name"])
    for team in config["teams"]:
        team["members"].sort(key=lambda m: m["person"])
    for person in config["people"]:
        person["contact_methods"].sort(key=lambda m: (m["kind"], m["address"]))
        for method in person["contact_methods"]:
            method["rules"].sort(key=lambda r: (r["urgency"], r["after_minutes"]))
    for schedule in config["schedules"]:
        schedule["overrides"].sort(key=lambda o: (o["start"], o["end"], o["person"]))
        for layer in schedule["layers"]:
            layer["restrictions"].sort(
                key=lambda r: (
                    r["kind"],
                    schema.WEEKDAYS.index(r["weekday"]),
                    r["start"],
                    r["duration"],
                )
            )
    for service in config["services"]:
        service["maintenance_windows"].sort(key=lambda w: (w["start"], w["end"]))
    return config


def restriction_minutes(text: str) -> timedelta:
    """Return an "HH:MM" of the normal form as a duration."""
    hours, minutes = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))


_SHAPES = {
    "teams": (schema.TEAM, {"members": schema.MEMBER}),
    "people": (schema.PERSON, {"contact_methods": schema.CONTACT_METHOD}),
    "schedules": (schema.SCHEDULE, {"layers": schema.LAYER, "overrides": schema.OVERRIDE}),
    "escalation_policies": (schema.POLICY, {"steps": schema.STEP}),
    "services": (
        schema.SERVICE,
        {"maintenance_windows": schema.WINDOW, "integrations": schema.INTEGRATION},
    ),
}
_NESTED = {
    id(schema.CONTACT_METHOD): {"rules": schema.RULE},
    id(schema.LAYER): {"restrictions": schema.RESTRICTION},
}


def compact(config: dict) -> dict:
    """Return a normal form without the keys that say what a missing key would: the file as a
    person would write it. `load` of it gives the normal form back."""
    out = {"version": config["version"]}
    for key, (shape, children) in _SHAPES.items():
        if config.get(key):
            out[key] = [_compact(item, shape, children) for item in config[key]]
    return out


def _compact(item: dict, shape: dict, children: dict) -> dict:
    if shape is schema.RULE:  # "- {}" says nothing to a reader: a rule is always written whole
        return dict(item)
    kept = {}
    for key, value in item.items():
        prop = shape["properties"][key]
        if key in children:
            child = children[key]
            value = [_compact(v, child, _NESTED.get(id(child), {})) for v in value]
        if value == prop.get("default") and key not in shape["required"]:
            continue
        kept[key] = value
    if shape is schema.TEAM and kept.get("slug") == slugify(item["name"]):
        del kept["slug"]
    if shape is schema.PERSON and kept.get("username") == item["email"]:
        del kept["username"]
    if shape is schema.RESTRICTION and item["kind"] == "daily":
        kept.pop("weekday", None)
    return kept
