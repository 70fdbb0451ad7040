"""`--verify`: who the old tool says is on call, against Plantão's answer for the imported file.

Plantão's answer is computed from the file itself (incidents.configuration.rotas, the same pure
rota the database's schedules compile to), so a schedule is checked before it is applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from incidents.configuration.normal import normalized
from incidents.configuration.rotas import rota_of
from oncall import rota

INSTANTS = 200
SPAN = timedelta(weeks=8)


def instants(start: datetime, count: int = INSTANTS, span: timedelta = SPAN) -> list[datetime]:
    """Return `count` instants over `span` from `start`: evenly spread, each moved off the hour
    by a different number of minutes so that handoffs at round times are straddled, not hit."""
    step = span / count
    base = start.astimezone(UTC).replace(second=0, microsecond=0)
    return [
        base + step * index + timedelta(minutes=(index * 37) % 60 + 1) for index in range(count)
    ]


@dataclass(frozen=True)
class Difference:
    schedule: str
    at: datetime
    theirs: frozenset[str]
    ours: frozenset[str]

    def __str__(self) -> str:
        return (
            f"{self.schedule} at {self.at:%Y-%m-%d %H:%M} UTC: the old tool says "
            f"{_who(self.theirs)}, Plantão says {_who(self.ours)}"
        )


def _who(people: frozenset[str]) -> str:
    return ", ".join(sorted(people)) if people else "nobody"


Answers = Mapping[datetime, Iterable[str]]


def differences(
    config: dict,
    schedule_ids: Mapping[str, str],
    answers_of: Callable[[str, list[datetime]], Answers],
    at: list[datetime],
) -> tuple[list[Difference], int]:
    """Compare each imported schedule with the old tool at instants `at`; return the differences
    and how many (schedule, instant) pairs were compared. `answers_of(old_id, instants)` gives
    the e-mails the old tool has on call at each instant.

    Schedules that share one old id (an old schedule whose parts are on call at the same time,
    imported as several) are compared together: everyone they have on call, with the old
    tool's answer."""
    config = normalized(config)
    parts: dict[str, list[dict]] = {}
    for schedule in config["schedules"]:
        old_id = schedule_ids.get(schedule["name"])
        if old_id is not None:
            parts.setdefault(old_id, []).append(schedule)
    found, compared = [], 0
    for old_id, schedules in parts.items():
        name = " + ".join(schedule["name"] for schedule in schedules)
        rotas = [rota_of(schedule) for schedule in schedules]
        theirs = answers_of(old_id, at)
        for moment in at:
            ours = (
                rota.on_call_at(ours_rota, moment)
                for ours_rota in rotas
                if ours_rota.layers or ours_rota.overrides
            )
            ours_set = frozenset(email.lower() for email in ours if email)
            theirs_set = frozenset(email.lower() for email in theirs.get(moment, ()))
            compared += 1
            if ours_set != theirs_set:
                found.append(Difference(name, moment, theirs_set, ours_set))
    return found, compared
