"""PURE: is the team ready for an event? Three checks over plain data, no database.

- rehearsal: a rehearsal of one of the event's services finished in the last 7 days and met
  its thresholds;
- people: everyone on call during the event has a verified contact method that a high-urgency
  rule uses, and acknowledged a test page for the event sent in the last 7 days;
- coverage: no schedule the event relies on has a gap during the event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

RECENT = timedelta(days=7)


@dataclass(frozen=True)
class RehearsalSeen:
    service: str  # the real service's name
    finished_at: datetime
    passed: bool | None


@dataclass(frozen=True)
class PersonSeen:
    """One person on call during the event, and their latest test page for it (if any)."""

    person_id: int
    name: str
    verified_methods: tuple[str, ...]  # "sms +351…", used by a high-urgency rule
    sent_at: datetime | None = None
    confirmed_at: datetime | None = None
    via: str = ""  # the acknowledgement's source: sms, voice, slack, web, api…


@dataclass(frozen=True)
class GapSeen:
    schedule: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class PersonRow:
    person_id: int
    name: str
    verified_methods: tuple[str, ...]
    sent_at: datetime | None
    confirmed_at: datetime | None
    via: str
    seconds: int | None  # from the test page to its acknowledgement
    ready: bool
    missing: str  # what is still missing, in words ("" when ready)


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Checklist:
    rehearsal: Check
    people: Check
    coverage: Check
    rows: list[PersonRow] = field(default_factory=list)
    gaps: list[GapSeen] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.rehearsal.passed and self.people.passed and self.coverage.passed

    @property
    def checks(self) -> tuple[Check, Check, Check]:
        return (self.rehearsal, self.people, self.coverage)

    @property
    def summary(self) -> str:
        """Say in a few words where the event stands: "Ready" or "Not ready: …"."""
        failed = [check.name.lower() for check in self.checks if not check.passed]
        return "Ready" if not failed else "Not ready: " + ", ".join(failed) + " failing"


def _rehearsal(rehearsals: list[RehearsalSeen], now: datetime) -> Check:
    recent = sorted(
        (r for r in rehearsals if now - RECENT <= r.finished_at <= now),
        key=lambda r: r.finished_at,
        reverse=True,
    )
    good = [r for r in recent if r.passed]
    if good:
        best = good[0]
        return Check(
            "Rehearsal",
            True,
            f"A rehearsal of {best.service} passed on {best.finished_at:%Y-%m-%d %H:%M} UTC.",
        )
    if recent:
        last = recent[0]
        return Check(
            "Rehearsal",
            False,
            f"The last rehearsal, of {last.service} on {last.finished_at:%Y-%m-%d %H:%M} UTC, "
            "did not meet its thresholds: run one that does (manage.py rehearse).",
        )
    return Check(
        "Rehearsal",
        False,
        "No rehearsal of the event's services finished in the last 7 days: run one "
        "(manage.py rehearse).",
    )


def _row(person: PersonSeen, now: datetime) -> PersonRow:
    recent = person.sent_at is not None and now - RECENT <= person.sent_at <= now
    confirmed = recent and person.confirmed_at is not None
    missing = []
    if not person.verified_methods:
        missing.append("no verified contact method used by a high-urgency rule")
    if not recent:
        missing.append("no test page sent in the last 7 days")
    elif not confirmed:
        missing.append("the test page is not acknowledged yet")
    seconds = None
    if confirmed:
        seconds = max(0, round((person.confirmed_at - person.sent_at).total_seconds()))
    return PersonRow(
        person_id=person.person_id,
        name=person.name,
        verified_methods=person.verified_methods,
        sent_at=person.sent_at,
        confirmed_at=person.confirmed_at if confirmed else None,
        via=person.via if confirmed else "",
        seconds=seconds,
        ready=not missing,
        missing="; ".join(missing),
    )


def _people(rows: list[PersonRow]) -> Check:
    if not rows:
        return Check("People", False, "Nobody is on call during the event.")
    waiting = [row for row in rows if not row.ready]
    if not waiting:
        return Check("People", True, f"All {len(rows)} people on call confirmed a test page.")
    names = "; ".join(f"{row.name}: {row.missing}" for row in waiting)
    return Check("People", False, f"{len(waiting)} of {len(rows)} not ready. {names}.")


def _coverage(gaps: list[GapSeen]) -> Check:
    if not gaps:
        return Check("Coverage", True, "Every schedule has someone on call throughout the event.")
    said = "; ".join(
        f"{gap.schedule} from {gap.start:%Y-%m-%d %H:%M} to {gap.end:%Y-%m-%d %H:%M} UTC"
        for gap in gaps
    )
    return Check("Coverage", False, f"Nobody is on call: {said}.")


def checklist_judge(
    *,
    rehearsals: list[RehearsalSeen],
    people: list[PersonSeen],
    gaps: list[GapSeen],
    now: datetime,
) -> Checklist:
    """Judge an event's readiness at `now` from what the selector gathered."""
    rows = sorted((_row(person, now) for person in people), key=lambda row: row.name)
    gaps = sorted(gaps, key=lambda gap: (gap.start, gap.schedule))
    return Checklist(
        rehearsal=_rehearsal(rehearsals, now),
        people=_people(rows),
        coverage=_coverage(gaps),
        rows=rows,
        gaps=gaps,
    )
