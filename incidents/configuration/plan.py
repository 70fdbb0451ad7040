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

from oncall.models import Membership, Team

from .compare import ARCHIVE, CREATE, DELETE, UPDATE, Change, Kept, differences
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
    from .compare import shown

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
    order = {CREATE: 0, UPDATE: 0, DELETE: 1, ARCHIVE: 1}
    changes.sort(key=lambda change: order[change.action])  # stable: each kind in file order
    return Plan(changes=changes, kept=found.kept, prune=prune)


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

    def line(self, path: Path) -> int:
        return self.loaded.line_of(path) if path else 0

    def _index(self, section: str, match) -> Path:
        for index, item in enumerate(self.data.get(section) or ()):
            if isinstance(item, dict) and match(item):
                return (section, index)
        return ()

    def path(self, kind: str, name: str, parent: str) -> Path:
        """Return the path of the object of `kind` named `name` (of `parent`), or of its parent
        if it is not in the file, or ()."""
        if kind in self.SECTIONS:
            key = "email" if kind == "person" else "name"
            return self._index(
                self.SECTIONS[kind], lambda item: str(item.get(key, "")).lower() == name.lower()
            )
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
