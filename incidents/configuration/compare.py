"""Two normal forms compared: what would make the database's (`current`) the file's (`wanted`).

Pure: no database. Each object is known by its identity (a team by name, a person by e-mail in
any case, a contact method by its person, kind and address, an override by its person, start and
end, ...); everything else about it is its value, compared field by field. Overrides and
maintenance windows that have ended are left out on both sides: the file holds those to come.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime

from .files import instant_text

CREATE, UPDATE, DELETE, ARCHIVE = "create", "update", "delete", "archive"

TEAM_FIELDS = ("slug", "slack_channel", "manager", "rest_after_sleep_pages", "rest_notice_nights")
# The e-mail is who a person is, in any case (Django keeps its domain in lower case): not a value.
PERSON_FIELDS = ("name", "time_zone", "locale", "holiday_country", "holiday_subdivision")
SCHEDULE_FIELDS = ("time_zone", "description")
LAYER_FIELDS = (
    "name",
    "turn_unit",
    "turn_count",
    "handoff",
    "time_zone",
    "active_from",
    "active_until",
    "participants",
    "restrictions",
)
POLICY_FIELDS = ("repeat", "description", "steps")
SERVICE_FIELDS = (
    "description",
    "escalation_policy",
    "urgency_rule",
    "ack_timeout_minutes",
    "auto_resolve_minutes",
    "slack_channel",
)
INTEGRATION_FIELDS = ("rate_limit_per_second", "heartbeat_interval_seconds")


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: object
    after: object

    def text(self) -> str:
        return f"{self.field} {shown(self.before)} -> {shown(self.after)}"


def _label(kind: str, name: str, owner: str) -> str:
    """Return how a plan names an object: its kind, what it belongs to, its name."""
    return f"{kind} {owner} {name!r}" if owner else f"{kind} {name!r}"


@dataclass(frozen=True)
class Change:
    """One object created, changed, deleted or archived. `owner` names what it belongs to (the
    person of a contact method, the schedule of an override, the service of an integration);
    `wanted` and `current` are its normal form in the file and in the database."""

    action: str
    kind: str
    name: str
    owner: str = ""
    parent: str = ""  # the name or e-mail of what it belongs to, for looking it up
    fields: tuple[FieldChange, ...] = ()
    wanted: dict | None = field(default=None, compare=False, repr=False)
    current: dict | None = field(default=None, compare=False, repr=False)
    line: int = 0
    path: str = ""

    @property
    def label(self) -> str:
        return _label(self.kind, self.name, self.owner)

    def changed(self, name: str) -> bool:
        return any(change.field == name for change in self.fields)


@dataclass(frozen=True)
class Kept:
    """An object of the teams in scope that the file leaves out: kept, without --prune."""

    kind: str
    name: str
    owner: str = ""

    @property
    def label(self) -> str:
        return _label(self.kind, self.name, self.owner)


@dataclass
class Differences:
    changes: list[Change] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    # Objects the file moves to another team, which no service does: (kind, name, team before).
    moves: list[tuple[str, str, str, str]] = field(default_factory=list)

    def update(
        self, kind: str, name: str, before: dict, wanted: dict, changes, owner="", parent=""
    ) -> None:
        """Record `wanted` as changed from `before`, if `changes` (FieldChanges) has any."""
        if changes:
            self.changes.append(
                Change(
                    UPDATE,
                    kind,
                    name,
                    owner,
                    parent,
                    fields=tuple(changes),
                    wanted=wanted,
                    current=before,
                )
            )


def shown(value) -> str:
    """Return a value as a plan shows it: short, one line."""
    if value is None:
        return "none"
    if isinstance(value, datetime):
        return instant_text(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        text = "[" + ", ".join(_item(item) for item in value) + "]"
        return text if len(text) <= 120 else text[:117] + "...]"
    return str(value)


def _item(item) -> str:
    if isinstance(item, dict):
        if set(item) == {"escalate_after_minutes", "targets"}:
            targets = " ".join(f"{k}:{v}" for t in item["targets"] for k, v in t.items())
            return f"{item['escalate_after_minutes']}m {targets}"
        if "duration" in item:
            day = "" if item["kind"] == "daily" else f"{item['weekday']} "
            return f"{item['kind']} {day}{item['start']}+{item['duration']}"
        if "urgency" in item:
            return f"{item['urgency']}+{item['after_minutes']}m"
        return " ".join(str(value) for value in item.values())
    return str(item)


def _fields(current: dict, wanted: dict, names: Iterable[str], prefix: str = "") -> list:
    return [
        FieldChange(f"{prefix}{name}", current[name], wanted[name])
        for name in names
        if current[name] != wanted[name]
    ]


def _keyed(items: Iterable[dict], key: Callable) -> dict:
    return {key(item): item for item in items}


def _email(value: str | None) -> str | None:
    return value.lower() if value else value


def _to_come(items: Iterable[dict], now: datetime) -> list[dict]:
    return [item for item in items if item["end"] > now]


def differences(
    wanted: dict,
    current: dict,
    *,
    prune: bool,
    now: datetime,
    archivable: Callable[[str], bool] = lambda email: True,
) -> Differences:
    """Return what changes `current` (the database's normal form of the file's teams and
    people) into `wanted` (the file's). With `prune`, what the file leaves out is deleted, and
    a person left out is archived if `archivable(email)` (all their teams are the file's)."""
    found = Differences()
    wanted, current = _folded(wanted), _folded(current)
    _teams(wanted, current, found)
    _people(wanted, current, found, prune, archivable)
    _schedules(wanted, current, found, prune, now)
    _policies(wanted, current, found, prune)
    _services(wanted, current, found, prune, now)
    return found


def _folded(config: dict) -> dict:
    """Return a copy of `config` whose references to people are in lower case: a person is the
    same whatever the case of their e-mail (their own `email` keeps its case, as a value)."""
    config = deepcopy(config)
    for team in config["teams"]:
        team["manager"] = _email(team["manager"])
        for member in team["members"]:
            member["person"] = member["person"].lower()
    for schedule in config["schedules"]:
        for layer in schedule["layers"]:
            layer["participants"] = [email.lower() for email in layer["participants"]]
        for override in schedule["overrides"]:
            override["person"] = override["person"].lower()
    for policy in config["escalation_policies"]:
        for step in policy["steps"]:
            step["targets"] = [
                {kind: name.lower() if kind == "person" else name for kind, name in t.items()}
                for t in step["targets"]
            ]
    return config


def _gone(
    found: Differences, prune: bool, kind: str, name: str, current: dict, owner="", parent=""
) -> None:
    if prune:
        found.changes.append(Change(DELETE, kind, name, owner, parent, current=current))
    else:
        found.kept.append(Kept(kind, name, owner))


def _teams(wanted: dict, current: dict, found: Differences) -> None:
    # Teams are the scope: never deleted, whatever the file leaves out.
    now_teams = _keyed(current["teams"], lambda t: t["name"])
    for team in wanted["teams"]:
        before = now_teams.get(team["name"])
        if before is None:
            found.changes.append(Change(CREATE, "team", team["name"], wanted=team))
            continue
        changes = _fields(before, team, TEAM_FIELDS)
        roles_before = {m["person"]: m["role"] for m in before["members"]}
        roles_after = {m["person"]: m["role"] for m in team["members"]}
        for email in sorted(roles_before.keys() | roles_after.keys()):
            if roles_before.get(email) != roles_after.get(email):
                changes.append(
                    FieldChange(f"member {email}", roles_before.get(email), roles_after.get(email))
                )
        found.update("team", team["name"], before, team, changes)


def _people(wanted, current, found: Differences, prune: bool, archivable) -> None:
    now_people = _keyed(current["people"], lambda p: p["email"].lower())
    named = set()
    for person in wanted["people"]:
        email = person["email"].lower()
        named.add(email)
        before = now_people.get(email)
        if before is None:
            found.changes.append(Change(CREATE, "person", person["email"], wanted=person))
            methods_before = {}
        else:
            found.update(
                "person", person["email"], before, person, _fields(before, person, PERSON_FIELDS)
            )
            methods_before = _keyed(before["contact_methods"], lambda m: (m["kind"], m["address"]))
        for method in person["contact_methods"]:
            key = (method["kind"], method["address"])
            name = f"{method['kind']} {method['address']}"
            was = methods_before.pop(key, None)
            if was is None:
                found.changes.append(
                    Change(
                        CREATE,
                        "contact method",
                        name,
                        person["email"],
                        person["email"],
                        wanted=method,
                    )
                )
                continue
            changes = _fields(was, method, ("label", "rules"))
            found.update("contact method", name, was, method, changes, *[person["email"]] * 2)
        for (kind, address), was in sorted(methods_before.items()):
            _gone(
                found,
                prune,
                "contact method",
                f"{kind} {address}",
                was,
                person["email"],
                person["email"],
            )
    for email, before in sorted(now_people.items()):
        if email in named:
            continue
        if prune and archivable(email):
            found.changes.append(Change(ARCHIVE, "person", before["email"], current=before))
        else:
            found.kept.append(Kept("person", before["email"]))


def _moved(found: Differences, kind: str, wanted: dict, before: dict) -> None:
    if wanted["team"] != before["team"]:
        found.moves.append((kind, wanted["name"], before["team"], wanted["team"]))


def _schedules(wanted, current, found: Differences, prune: bool, now: datetime) -> None:
    now_schedules = _keyed(current["schedules"], lambda s: s["name"])
    for schedule in wanted["schedules"]:
        name = schedule["name"]
        before = now_schedules.pop(name, None)
        if before is None:
            found.changes.append(Change(CREATE, "schedule", name, wanted=schedule))
            overrides_before = {}
        else:
            _moved(found, "schedule", schedule, before)
            changes = _fields(before, schedule, SCHEDULE_FIELDS) + _layers(before, schedule)
            found.update("schedule", name, before, schedule, changes)
            overrides_before = _keyed(_to_come(before["overrides"], now), _override_key)
        for override in _to_come(schedule["overrides"], now):
            was = overrides_before.pop(_override_key(override), None)
            label = _span_label(override, override["person"])
            if was is None:
                found.changes.append(Change(CREATE, "override", label, name, name, wanted=override))
            else:
                changes = _fields(was, override, ("reason",))
                found.update("override", label, was, override, changes, name, name)
        for _, was in sorted(overrides_before.items()):
            _gone(found, prune, "override", _span_label(was, was["person"]), was, name, name)
    for name, before in sorted(now_schedules.items()):
        _gone(found, prune, "schedule", name, before)


def _override_key(override: dict) -> tuple:
    return (override["person"], override["start"], override["end"])


def _span_label(thing: dict, who: str = "") -> str:
    span = f"{instant_text(thing['start'])}..{instant_text(thing['end'])}"
    return f"{who} {span}" if who else span


def _layers(before: dict, after: dict) -> list[FieldChange]:
    """Return the changes of a schedule's layers, matched by position."""
    old, new = before["layers"], after["layers"]
    changes = []
    for index in range(max(len(old), len(new))):
        if index >= len(old):
            changes.append(FieldChange(f"layers[{index}]", None, new[index]["name"]))
        elif index >= len(new):
            changes.append(FieldChange(f"layers[{index}]", old[index]["name"], None))
        else:
            changes += _fields(old[index], new[index], LAYER_FIELDS, f"layers[{index}].")
    return changes


def _policies(wanted, current, found: Differences, prune: bool) -> None:
    now_policies = _keyed(current["escalation_policies"], lambda p: p["name"])
    for policy in wanted["escalation_policies"]:
        before = now_policies.pop(policy["name"], None)
        if before is None:
            found.changes.append(Change(CREATE, "escalation policy", policy["name"], wanted=policy))
            continue
        _moved(found, "escalation policy", policy, before)
        changes = _fields(before, policy, POLICY_FIELDS)
        found.update("escalation policy", policy["name"], before, policy, changes)
    for name, before in sorted(now_policies.items()):
        _gone(found, prune, "escalation policy", name, before)


def _integration_key(integration: dict) -> tuple:
    return (integration["kind"], integration["name"])


def _services(wanted, current, found: Differences, prune: bool, now: datetime) -> None:
    now_services = _keyed(current["services"], lambda s: s["name"])
    for service in wanted["services"]:
        name = service["name"]
        before = now_services.pop(name, None)
        if before is None:
            found.changes.append(Change(CREATE, "service", name, wanted=service))
            windows_before, integrations_before = {}, {}
        else:
            _moved(found, "service", service, before)
            found.update("service", name, before, service, _fields(before, service, SERVICE_FIELDS))
            windows_before = _keyed(
                _to_come(before["maintenance_windows"], now), lambda w: (w["start"], w["end"])
            )
            integrations_before = _keyed(before["integrations"], _integration_key)
        for window in _to_come(service["maintenance_windows"], now):
            was = windows_before.pop((window["start"], window["end"]), None)
            label = _span_label(window)
            if was is None:
                found.changes.append(
                    Change(CREATE, "maintenance window", label, name, name, wanted=window)
                )
            else:
                changes = _fields(was, window, ("reason",))
                found.update("maintenance window", label, was, window, changes, name, name)
        for _, was in sorted(windows_before.items()):
            _gone(found, prune, "maintenance window", _span_label(was), was, name, name)
        for integration in service["integrations"]:
            kind, label = integration["kind"], integration["name"]
            was = integrations_before.pop(_integration_key(integration), None)
            if was is None:
                found.changes.append(
                    Change(CREATE, "integration", label, f"{name}/{kind}", name, wanted=integration)
                )
                continue
            changes = _fields(was, integration, INTEGRATION_FIELDS)
            found.update("integration", label, was, integration, changes, f"{name}/{kind}", name)
        for (kind, label), was in sorted(integrations_before.items()):
            _gone(found, prune, "integration", label, was, f"{name}/{kind}", name)
    for name, before in sorted(now_services.items()):
        _gone(found, prune, "service", name, before)
