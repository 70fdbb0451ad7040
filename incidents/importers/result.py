"""What an importer gives back: a configuration, and everything that did not map."""

from __future__ import annotations

from dataclasses import dataclass, field

from incidents.configuration import schema


@dataclass(frozen=True)
class Unmapped:
    """Something of the old tool with no equivalent in Plantão (or only a partial one)."""

    kind: str  # "user", "schedule", "escalation policy", "integration", ...
    name: str
    why: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name!r}: {self.why}"


@dataclass
class Import:
    """A configuration (the file's data, see incidents.configuration.schema) and the report."""

    tool: str
    config: dict = field(
        default_factory=lambda: {
            "version": schema.VERSION,
            "teams": [],
            "people": [],
            "schedules": [],
            "escalation_policies": [],
            "services": [],
        }
    )
    unmapped: list[Unmapped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things to do after apply (integration URLs)
    # The old tool's id of each imported schedule, by the schedule's name in the file: --verify
    # asks the old tool about these.
    schedule_ids: dict[str, str] = field(default_factory=dict)

    def skip(self, kind: str, name: str, why: str) -> None:
        """Report `name` (of `kind`) as not imported, or imported only in part, and why."""
        self.unmapped.append(Unmapped(kind, name, why))
