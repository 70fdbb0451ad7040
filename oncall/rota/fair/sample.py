"""A demo-like team built purely (no database), for the fairness test and the benchmark.

17 people as in `manage.py demo`: 6 in São Paulo, 6 in Lisbon, 5 in Singapore, with their
countries' public holidays (oncall.calendars) and a seeded past of 90 days (load and pages).
Two schedules like the demo's: "Secondary", one weekly 24/7 layer of all 17 handing off on
Mondays at 09:00 Lisbon time; "Primary", follow the sun (São Paulo 12:00-21:00, Lisbon and
Singapore 08:00-16:00 local, weekly turns inside each region, Singapore highest).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from oncall.calendars import country_for_zone, holiday_dates
from oncall.load import Load
from oncall.rota import Layer, Restriction, RestrictionKind, TurnUnit

from .layers import baseline_shifts, needs_from_layers
from .problem import Participant, Problem, Rules

REGIONS = (
    ("São Paulo", "America/Sao_Paulo", time(12), 9, (
        "Ana Souza", "Bruno Lima", "Carla Mendes", "Diego Rocha", "Fernanda Alves",
        "Gustavo Pereira",
    )),
    ("Lisbon", "Europe/Lisbon", time(8), 8, (
        "Inês Carvalho", "João Martins", "Marta Ferreira", "Pedro Santos", "Rita Oliveira",
        "Tiago Costa",
    )),
    ("Singapore", "Asia/Singapore", time(8), 8, (
        "Wei Ling Tan", "Arjun Nair", "Siti Rahman", "Daniel Lim", "Mei Chen",
    )),
)  # fmt: skip
ANCHOR = date(2026, 1, 5)  # the demo's Monday: turns count from it
START = datetime(2027, 1, 4, tzinfo=ZoneInfo("UTC"))  # a Monday


def demo_like(schedule: str = "Secondary", weeks: int = 12, rules: Rules | None = None, seed=20):
    """Return the Problem of proposing `schedule` for `weeks` weeks from Monday 2027-01-04."""
    since, until = START, START + timedelta(weeks=weeks)
    generator = random.Random(seed)
    participants, regions = [], []
    key = 0
    for name, zone, window_start, window_hours, labels in REGIONS:
        country = country_for_zone(zone)
        days = holiday_dates(country, "", since.date() - timedelta(days=1), until.date())
        keys = []
        for label in labels:
            key += 1
            keys.append(key)
            participants.append(_participant(key, label, zone, frozenset(days), generator))
        regions.append((name, zone, window_start, window_hours, tuple(keys)))
    if schedule == "Secondary":
        zone = ZoneInfo("Europe/Lisbon")
        everyone = tuple(p.key for p in participants)
        layers = [("Everyone", _weekly(everyone, datetime.combine(ANCHOR, time(9), zone), zone))]
    else:
        layers = []
        for name, zone_name, window_start, window_hours, keys in regions:
            zone = ZoneInfo(zone_name)
            handoff = datetime.combine(ANCHOR, window_start, zone)
            window = Restriction(RestrictionKind.DAILY, window_start, timedelta(hours=window_hours))
            layers.append((name, _weekly(keys, handoff, zone, (window,))))
    return Problem(
        since=since,
        until=until,
        participants=tuple(participants),
        needs=needs_from_layers(layers, since, until),
        rules=rules or Rules(),
        baseline=baseline_shifts([layer for _, layer in layers], since, until),
    )


def _weekly(keys, handoff: datetime, zone: ZoneInfo, restrictions=()) -> Layer:
    return Layer(
        participants=keys,
        turn_unit=TurnUnit.WEEKS,
        turn_count=1,
        handoff=handoff,
        time_zone=zone.key,
        restrictions=restrictions,
    )


def _participant(key: int, label: str, zone: str, holidays, generator) -> Participant:
    """Return a person with a seeded past of 90 days: none or one weekly 24/7 turn, and pages.

    Round-robin of 17 people over 13 weeks gives 13 of them one turn; pages come with turns.
    """
    turns = 1 if generator.random() < 13 / 17 else 0
    hours = 168.0 * turns
    pages = generator.randint(0, 15) * turns + generator.randint(0, 2)
    sleep_pages = generator.randint(0, pages // 2)
    past = Load(
        hours=hours,
        night=round(hours * generator.uniform(0.38, 0.44), 1),
        weekend=48.0 * turns,
        holiday=24.0 * generator.randint(0, turns) * (generator.random() < 0.3),
    )
    return Participant(
        key=key,
        label=label,
        time_zone=zone,
        holidays=holidays,
        past=past,
        past_pages=pages,
        past_sleep_pages=sleep_pages,
    )
