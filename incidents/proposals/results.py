"""A solver's Proposal as JSON (stored with a RotaProposal, answered by the API) and back.

No Django here. People are their keys (Person pks) and labels; times are ISO-8601 in UTC.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from oncall.load import Load
from oncall.rota import Shift
from oncall.rota.fair import Proposal

CLASSES = ("hours", "night", "weekend", "holiday")


def proposal_json(proposal: Proposal) -> dict:
    """Return everything a person reads in `proposal`, as JSON values."""
    labels = {person.key: person.label for person in proposal.people}
    return {
        "status": proposal.status,
        "shifts": [
            {
                "start": _at(shift.start),
                "end": _at(shift.end),
                "person": shift.person,
                "name": labels.get(shift.person, "") if shift.person is not None else "",
            }
            for shift in proposal.shifts
        ],
        "uncovered": [
            {"start": _at(u.start), "end": _at(u.end), "layer": u.layer, "reason": u.reason}
            for u in proposal.uncovered
        ],
        "people": [
            {
                "person": person.key,
                "name": person.label,
                "proposed": _load(person.proposed),
                "baseline": _load(person.baseline),
                "past": _load(person.past),
                "past_pages": person.past_pages,
                "shifts": person.shifts,
            }
            for person in proposal.people
        ],
        "mean": _load(proposal.mean),
        "spread": _load(proposal.spread),
        "baseline_spread": _load(proposal.baseline_spread),
        "rules_held": list(proposal.rules_held),
        "solver": {
            "status": proposal.status,
            "objective": proposal.objective,
            "bound": proposal.bound,
            "gap": proposal.gap,
            "wall_seconds": round(proposal.wall_seconds, 3),
            "time_limit_seconds": proposal.time_limit_seconds,
        },
    }


def shifts_of(result: dict) -> list[Shift]:
    """Return the proposed shifts of a stored result (person None where uncovered)."""
    return [
        Shift(datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]), s["person"])
        for s in result["shifts"]
    ]


def _load(load: Load) -> dict:
    return {name: round(value, 2) for name, value in asdict(load).items()}


def _at(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()
