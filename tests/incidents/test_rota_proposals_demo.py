"""THE ordering on the demo team: a fair proposal for "Secondary" (weekly, all 17 people in three
zones), gathered from the database with a seeded history of pages, spreads night, weekend and
holiday hours at most half as unevenly as plain round-robin does. Only the ordering is asserted;
the figures are printed (pytest -s)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from incidents.demo import demo_load
from incidents.models import Service
from incidents.proposals.options import options_parse
from incidents.proposals.services import proposal_make
from oncall.models import Schedule, Team
from tests.incidents.insights_fixture import incident_at, page_to

NOW = datetime(2027, 1, 6, 12, 0, tzinfo=UTC)  # a Wednesday: the horizon starts 11 January
WEEKS = 12
PAGES = 400


def seed_pages(team: Team, *, now: datetime, count: int, seed: int = 20) -> None:
    """Page the team's people over the 90 days before `now`: a few people far more often, at
    any hour (so many of theirs land in their sleep)."""
    rng = random.Random(seed)
    people = list(team.members.filter(layer_memberships__isnull=False).distinct().order_by("pk"))
    weights = [6 if n % 5 == 0 else 1 for n in range(len(people))]
    services = list(Service.objects.filter(team=team).order_by("pk"))
    for n in range(count):
        at = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
        person = rng.choices(people, weights)[0]
        incident = incident_at(services[n % len(services)], at, name=f"Seeded{n}")
        page_to(incident, person, at)


@pytest.mark.django_db
def test_a_fair_secondary_spreads_nights_weekends_and_holidays_half_as_much(capsys):
    team = demo_load()
    seed_pages(team, now=NOW, count=PAGES)
    secondary = Schedule.objects.get(name="Secondary")
    options = options_parse({"weeks": WEEKS, "start": "2027-01-11", "time_limit_seconds": 4})

    made = proposal_make(schedule=secondary, options=options, now=NOW)

    with capsys.disabled():
        print(
            f"\nSecondary, {WEEKS} weeks: {made.status}, {made.wall_seconds:.1f} s "
            f"(limit {made.time_limit_seconds:g} s), gap {made.gap:.3f}"
        )
        for name in ("hours", "night", "weekend", "holiday"):
            print(
                f"  spread of {name}: proposal {getattr(made.spread, name):g} h, "
                f"round-robin {getattr(made.baseline_spread, name):g} h"
            )
    assert not made.uncovered
    for name in ("night", "weekend", "holiday"):
        assert getattr(made.spread, name) <= getattr(made.baseline_spread, name) / 2, name
