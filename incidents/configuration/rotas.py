"""A schedule of a configuration file as the pure rota: who is on call, with no database.

The same rota the database's schedule compiles to (oncall.selectors), people known by e-mail, so
that an importer can compare the old tool's answer with Plantão's before anything is applied.
"""

from __future__ import annotations

from datetime import time

from oncall import rota

from . import schema
from .normal import restriction_minutes


def rota_of(schedule: dict) -> rota.Rota:
    """Return the rota of `schedule` (normal form); its people are their e-mails."""
    layers = [
        rota.Layer(
            participants=tuple(layer["participants"]),
            turn_unit=layer["turn_unit"],
            turn_count=layer["turn_count"],
            handoff=layer["handoff"],
            time_zone=layer["time_zone"],
            restrictions=tuple(_restriction(r) for r in layer["restrictions"]),
            active_from=layer["active_from"],
            active_until=layer["active_until"],
        )
        for layer in schedule["layers"]
        if layer["participants"]
    ]
    overrides = [
        rota.Override(person=override["person"], start=override["start"], end=override["end"])
        for override in schedule["overrides"]
    ]
    return rota.Rota(layers=layers, overrides=overrides)


def _restriction(restriction: dict) -> rota.Restriction:
    hours, minutes = (int(part) for part in restriction["start"].split(":"))
    return rota.Restriction(
        kind=restriction["kind"],
        start_time=time(hours, minutes),
        duration=restriction_minutes(restriction["duration"]),
        start_weekday=schema.WEEKDAYS.index(restriction["weekday"]),
    )
