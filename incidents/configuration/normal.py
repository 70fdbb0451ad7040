"""A configuration file checked whole and put in normal form.

`load(text)` returns the file's normal form: every key present (defaults filled in), instants as
aware datetimes, clock times as "HH:MM", and the lists whose order means nothing sorted, so that
two files saying the same thing have equal normal forms. Every mistake is reported at once, each
with its line and path; nothing in the database is read.

Order that means something is kept: layers (the last wins), a layer's participants (their turns),
a policy's steps and a step's targets, a service's integrations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from django.utils.text import slugify

from . import schema
from .checks import DAY_MINUTES, WEEK_MINUTES, Checker
from .files import Parsed, Path, YamlError, parse
from .problems import ConfigInvalid, Problem, path_text

__all__ = [
    "DAY_MINUTES",
    "WEEK_MINUTES",
    "ConfigInvalid",
    "Loaded",
    "Problem",
    "compact",
    "load",
    "normalized",
    "ordered",
    "path_text",
    "restriction_minutes",
]


@dataclass
class Loaded:
    """A file's normal form, and where each of its values was in the file."""

    config: dict
    parsed: Parsed

    def line_of(self, path: Path) -> int:
        return self.parsed.line_of(path)


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
    checker = Checker(parsed)
    config = checker.normal(parsed.data)
    if checker.problems:
        raise ConfigInvalid(sorted(checker.problems, key=lambda p: p.line), name)
    ordered(config)
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
