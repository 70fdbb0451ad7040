"""What applying a configuration file would change, read from the database and never written.

The scope is the teams the file names: their schedules, policies, services (with their overrides
to come, maintenance windows to come and integrations), and the contact methods of the file's
people. Without `prune` nothing is deleted, and what the file leaves out is listed as kept; with
it, that is deleted, and a person left out whose teams are all in the file is archived.
Archived services and rehearsal twins are never touched nor listed (the export leaves them out).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db.models.functions import Lower

from incidents.models import EscalationPolicy, Service
from oncall.models import Membership, Person, Schedule, Team

from .compare import ARCHIVE, CREATE, DELETE, UPDATE, Change, Kept, differences, shown
from .export import config_export, people_export
from .files import Path
from .normal import ConfigInvalid, Loaded, Problem, path_text

SYMBOLS = {CREATE: "+", UPDATE: "~", DELETE: "-", ARCHIVE: "-"}


@dataclass
class Plan:
    """The changes, in the order they are shown, and what is kept though the file leaves it out."""

    changes: list[Change] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    prune: bool = False

    def count(self, *actions: str) -> int:
        return sum(1 for change in self.changes if change.action in actions)

    @property
    def empty(self) -> bool:
        return not self.changes

    def summary(self) -> str:
        if self.empty:
            return "No changes: the database already matches the file."
        return (
            f"Plan: {self.count(CREATE)} to create, {self.count(UPDATE)} to change, "
            f"{self.count(DELETE, ARCHIVE)} to delete."
        )

    def text(self) -> str:
        """Return the plan as people read it, one change a line (or a line per field)."""
        lines = [_change_text(change) for change in self.changes]
        if self.kept:
            lines.append("")
            lines.append(f"Not in the file, kept ({len(self.kept)}; --prune deletes them):")
            lines += [f"  {kept.label}" for kept in self.kept]
        if lines:
            lines.append("")
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict:
        """Return the plan as JSON-ready data: each change with its line, and what is kept."""
        return {
            "changes": [
                {
                    "action": c.action,
                    "kind": c.kind,
                    "name": c.name,
                    "owner": c.owner,
                    "line": c.line,
                    "path": c.path,
                    "fields": [
                        {"field": f.field, "before": _plain(f.before), "after": _plain(f.after)}
                        for f in c.fields
                    ],
                }
                for c in self.changes
            ],
            "kept": [{"kind": k.kind, "name": k.name, "owner": k.owner} for k in self.kept],
            "summary": self.summary(),
        }


def _plain(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return shown(value)


def _change_text(change: Change) -> str:
    head = f"{SYMBOLS[change.action]} {change.label}"
    if change.action == ARCHIVE:
        return f"{head} (archived: their login stops, their history stays)"
    if len(change.fields) == 1:
        return f"{head}: {change.fields[0].text()}"
    return "\n".join([head, *(f"    {f.text()}" for f in change.fields)])


def config_plan(*, loaded: Loaded, prune: bool, now: datetime, name: str = "") -> Plan:
    """Return what applying `loaded` (the file `name`) would change; raise ConfigInvalid for
    what no change can do (an object moved to another team)."""
    wanted = loaded.config
    teams = list(Team.objects.filter(name__in=[team["name"] for team in wanted["teams"]]))
    current = config_export(now=now, teams=teams) if teams else _nothing()
    in_file = {person["email"].lower() for person in wanted["people"]}
    known = {person["email"].lower() for person in current["people"]}
    current["people"] += people_export(emails=sorted(in_file - known))
    scope = {team.pk for team in teams}
    found = differences(
        wanted,
        current,
        prune=prune,
        now=now,
        archivable=lambda email: _teams_in(email, scope),
    )
    where = _Where(loaded)
    if found.moves:
        raise ConfigInvalid([where.moved(*move) for move in found.moves], name)
    changes = [where.placed(change) for change in found.changes]
    taken = _taken(changes)
    if taken:
        raise ConfigInvalid(taken, name)
    order = {CREATE: 0, UPDATE: 0, DELETE: 1, ARCHIVE: 1}
    changes.sort(key=lambda change: order[change.action])  # stable: each kind in file order
    return Plan(changes=changes, kept=found.kept, prune=prune)


def _taken(changes: list[Change]) -> list[Problem]:
    """Return a problem for each new schedule, policy or service whose name a team the file
    does not name holds (or an archived service, or a rehearsal twin), and for each new person
    whose e-mail is an archived person's: the services would refuse them; the plan says so."""
    new = {kind: {} for kind in ("schedule", "escalation policy", "service", "person")}
    for change in changes:
        if change.action == CREATE and change.kind in new:
            key = change.name.lower() if change.kind == "person" else change.name
            new[change.kind][key] = change
    held = [
        ("schedule", name, team)
        for name, team in Schedule.objects.filter(name__in=new["schedule"]).values_list(
            "name", "team__name"
        )
    ]
    held += [
        ("escalation policy", name, team)
        for name, team in EscalationPolicy.objects.filter(
            name__in=new["escalation policy"]
        ).values_list("name", "team__name")
    ]
    held += [
        ("service", name, None if archived or twin else team)
        for name, team, archived, twin in Service.objects.filter(
            name__in=new["service"]
        ).values_list("name", "team__name", "archived_at", "rehearsal_of")
    ]
    held += [
        ("person", email.lower(), None)
        for email in Person.objects.annotate(email=Lower("user__email"))
        .filter(email__in=new["person"], user__is_active=False)
        .values_list("email", flat=True)
    ]
    problems = []
    for kind, name, team in held:
        change = new[kind][name]
        problems.append(Problem(change.line, change.path, _held(kind, change.name, team)))
    return sorted(problems, key=lambda problem: problem.line)


def _held(kind: str, name: str, team: str | None) -> str:
    if kind == "person":
        return f"{name} is the e-mail of an archived person; give another"
    if team is None:
        return f"a {kind} named {name!r} exists, archived or a rehearsal twin; choose another name"
    return (
        f"a {kind} named {name!r} exists in the team {team!r}, which the file does not name: "
        "add that team to the file, or choose another name"
    )


def _nothing() -> dict:
    return {"teams": [], "people": [], "schedules": [], "escalation_policies": [], "services": []}


def _teams_in(email: str, scope: set[int]) -> bool:
    """Whether every team of the person with `email` is in `scope`."""
    teams = set(
        Membership.objects.filter(person__user__email__iexact=email).values_list(
            "team_id", flat=True
        )
    )
    return teams <= scope


class _Where:
    """The place in the file of each object of its normal form (whose lists are sorted)."""

    SECTIONS = {
        "team": "teams",
        "person": "people",
        "schedule": "schedules",
        "escalation policy": "escalation_policies",
        "service": "services",
    }

    def __init__(self, loaded: Loaded):
        self.loaded = loaded
        self.data = loaded.parsed.data
        self._indexes: dict[str, dict[str, int]] = {}

    def line(self, path: Path) -> int:
        return self.loaded.line_of(path) if path else 0

    def _index(self, kind: str) -> dict[str, int]:
        """Return where each object of `kind` is in its section, by name (people by e-mail)."""
        if kind not in self._indexes:
            key = "email" if kind == "person" else "name"
            found = {}
            for index, item in enumerate(self.data.get(self.SECTIONS[kind]) or ()):
                if isinstance(item, dict):
                    found.setdefault(_known(kind, item.get(key)), index)
            self._indexes[kind] = found
        return self._indexes[kind]

    def path(self, kind: str, name: str, parent: str) -> Path:
        """Return the path of the object of `kind` named `name` (of `parent`), or of its parent
        if it is not in the file, or ()."""
        if kind in self.SECTIONS:
            index = self._index(kind).get(_known(kind, name))
            return () if index is None else (self.SECTIONS[kind], index)
        section = {
            "contact method": "person",
            "override": "schedule",
            "maintenance window": "service",
            "integration": "service",
        }[kind]
        return self.path(section, parent, "")

    def moved(self, kind: str, name: str, before: str, after: str) -> Problem:
        found = self.path(kind, name, "")
        where = (*found, "team") if found else ()
        return Problem(
            self.line(where),
            path_text(where),
            f"a {kind} stays in its team ({before!r}); to move it to {after!r}, give it a new "
            "name, apply, then remove the old one",
        )

    def placed(self, change: Change) -> Change:
        found = self.path(change.kind, change.name, change.parent)
        if found and change.wanted is not None and change.kind not in self.SECTIONS:
            found = self._child(found, change)
        return replace(change, line=self.line(found), path=path_text(found))

    def _child(self, owner: Path, change: Change) -> Path:
        """Return the path of a contact method, override, window or integration in its owner."""
        part = {
            "contact method": "contact_methods",
            "override": "overrides",
            "maintenance window": "maintenance_windows",
            "integration": "integrations",
        }[change.kind]
        item = self.data[owner[0]][owner[1]]
        wanted = change.wanted
        for index, given in enumerate(item.get(part) or ()):
            if _same(change.kind, given, wanted):
                return (*owner, part, index)
        return owner


def _known(kind: str, name) -> str:
    """Return how an object is known: a person by e-mail in any case, the rest by name."""
    return str(name).lower() if kind == "person" else str(name)


def _instant(text) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def _same(kind: str, given: dict, wanted: dict) -> bool:
    """Whether `given` (as written in the file) is `wanted` (its normal form)."""
    if kind == "contact method":
        return given.get("kind") == wanted["kind"] and given.get("address") == wanted["address"]
    if kind == "integration":
        return given.get("kind") == wanted["kind"] and given.get("name", "") == wanted["name"]
    same_span = (
        _instant(given.get("start")) == wanted["start"]
        and _instant(given.get("end")) == wanted["end"]
    )
    if kind == "override":
        return same_span and str(given.get("person", "")).lower() == wanted["person"].lower()
    return same_span
