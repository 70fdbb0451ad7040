"""`manage.py oncall who` against the demo schedules, checked by an independent model.

The expected answers below do not use zoneinfo or oncall.rota: they restate the demo's rules by
hand (fixed offsets for São Paulo and Singapore, the EU summer-time rule for Lisbon), so a bug in
the rota or in the time-zone handling shows up as a disagreement.
"""

import io
import random
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.management import CommandError, call_command

from oncall import services
from oncall.demo import REGIONS, demo_load
from oncall.models import Override, Schedule, Team

SAO_PAULO, LISBON, SINGAPORE = (list(region.people) for region in REGIONS)
EVERYONE = SAO_PAULO + LISBON + SINGAPORE
ANCHOR = datetime(2026, 1, 5)  # the Monday every demo rotation counts from (naive, local)


def last_sunday(year: int, month: int) -> date:
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def lisbon_offset(t: datetime) -> timedelta:
    """EU rule: summer time from 01:00 UTC on March's last Sunday to October's."""
    begins = datetime.combine(last_sunday(t.year, 3), datetime.min.time(), UTC) + timedelta(hours=1)
    ends = datetime.combine(last_sunday(t.year, 10), datetime.min.time(), UTC) + timedelta(hours=1)
    return timedelta(hours=1) if begins <= t < ends else timedelta(0)


def weekly_turn(local: datetime, handoff_hour: int, people: list[str]) -> str:
    """Whose weekly turn contains this local wall-clock time (turns start Mondays at handoff)."""
    wall_clock = local.replace(tzinfo=None)
    weeks = (wall_clock - ANCHOR.replace(hour=handoff_hour)) // timedelta(weeks=1)
    return people[weeks % len(people)]


def expected_primary(t: datetime) -> str:
    lisbon = t + lisbon_offset(t)
    if t.hour < 8:  # Singapore 08:00-16:00 at UTC+8, the highest layer
        return weekly_turn(t + timedelta(hours=8), 8, SINGAPORE)
    if 8 <= lisbon.hour < 16:  # Lisbon 08:00-16:00 local
        return weekly_turn(lisbon, 8, LISBON)
    return weekly_turn(t - timedelta(hours=3), 12, SAO_PAULO)  # São Paulo 12:00-21:00 at UTC-3


def expected_secondary(t: datetime) -> str:
    return weekly_turn(t + lisbon_offset(t), 9, EVERYONE)


LINE = re.compile(
    r"^(?P<schedule>\S+)\s+(?P<person>.+?)(?:\s{2}until (?P<until>.+?), then (?P<next>.+))?$"
)


def who(*args: str) -> dict[str, dict[str, str]]:
    out = io.StringIO()
    call_command("oncall", "who", *args, stdout=out)
    answers = {}
    for line in out.getvalue().splitlines():
        match = LINE.match(line)
        assert match, line
        answers[match["schedule"]] = match.groupdict()
    return answers


def sample_instants() -> list[datetime]:
    rng = random.Random(2027)
    start = datetime(2026, 12, 1, tzinfo=UTC)
    instants = [start + timedelta(days=d, minutes=rng.randrange(24 * 60)) for d in range(366)]
    # Every hour of the days around each 2027 change, and both sides of every handoff then.
    for change in (datetime(2027, 3, 28, tzinfo=UTC), datetime(2027, 10, 31, tzinfo=UTC)):
        day = change - timedelta(days=6)  # the Monday of that week
        instants += [day + timedelta(minutes=30 + 60 * h) for h in range(24 * 9)]
        instants += [day + timedelta(hours=h, minutes=m) for h in range(24 * 9) for m in (-1, 0)]
    return instants


@pytest.mark.django_db
def test_who_agrees_with_independent_model_across_a_year():
    demo_load()
    wrong = []
    for t in sample_instants():
        answers = who("--at", t.isoformat())
        got = (answers["Primary"]["person"], answers["Secondary"]["person"])
        want = (expected_primary(t), expected_secondary(t))
        if got != want:
            wrong.append((t.isoformat(), got, want))
    assert wrong == []


@pytest.mark.django_db
def test_secondary_hands_off_at_nine_lisbon_time_in_winter_and_summer():
    demo_load()
    # Monday 2027-03-22 is winter (09:00 = 09:00 UTC); Monday 2027-03-29 is summer (08:00 UTC).
    winter_before = who("--at", "2027-03-22T08:59+00:00")["Secondary"]["person"]
    winter_after = who("--at", "2027-03-22T09:00+00:00")["Secondary"]["person"]
    summer_before = who("--at", "2027-03-29T07:59+00:00")["Secondary"]["person"]
    summer_after = who("--at", "2027-03-29T09:00+01:00")["Secondary"]["person"]
    assert EVERYONE.index(winter_after) == (EVERYONE.index(winter_before) + 1) % 17
    assert summer_before == winter_after
    assert EVERYONE.index(summer_after) == (EVERYONE.index(summer_before) + 1) % 17


@pytest.mark.django_db
def test_who_names_the_next_person_and_when():
    demo_load()
    answers = who("--at", "2027-01-13T07:30:00Z")  # Singapore until 08:00 UTC, then Lisbon
    assert answers["Primary"]["until"] == "Wed 2027-01-13 08:00 UTC"
    assert answers["Primary"]["next"] == expected_primary(datetime(2027, 1, 13, 8, tzinfo=UTC))


@pytest.mark.django_db
def test_who_for_one_schedule_only():
    demo_load()
    assert set(who("--schedule", "Secondary", "--at", "2027-01-13T10:00Z")) == {"Secondary"}


@pytest.mark.django_db
def test_an_override_shows_in_who():
    demo_load()
    primary = Schedule.objects.get(name="Primary")
    helena = primary.team.manager
    Override.objects.create(
        schedule=primary,
        person=helena,
        start=datetime(2027, 1, 13, 6, tzinfo=UTC),
        end=datetime(2027, 1, 13, 9, tzinfo=UTC),
    )
    assert who("--at", "2027-01-13T07:00Z")["Primary"]["person"] == helena.display_name
    assert who("--at", "2027-01-13T09:00Z")["Primary"]["person"] == expected_primary(
        datetime(2027, 1, 13, 9, tzinfo=UTC)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "yesterday"], "is not an ISO-8601 instant"),
        (["--at", "2027-01-13T07:30"], "has no offset"),
        (["--schedule", "Tertiary"], "No schedule named 'Tertiary'; known schedules: Primary"),
    ],
)
def test_bad_input_is_refused_clearly(args, message):
    demo_load()
    with pytest.raises(CommandError, match=re.escape(message)):
        who(*args)


@pytest.mark.django_db
def test_who_shows_gaps_and_who_comes_after_them():
    team = Team.objects.create(name="Office hours", slug="office-hours")
    schedule = Schedule.objects.create(name="Daytime", team=team)
    ana, bruno = (
        services.person_create(username=name.lower(), display_name=name)
        for name in ("Ana", "Bruno")
    )
    for person in (ana, bruno):  # a layer takes turns among its team's members
        services.team_member_set(team=team, person=person)
    services.layer_create(
        schedule=schedule,
        name="Days",
        participants=[ana, bruno],
        turn_unit="days",
        turn_count=1,
        handoff=datetime(2027, 1, 4, 9, tzinfo=UTC),
        time_zone="UTC",
        restrictions=[services.RestrictionSpec("daily", time(9), timedelta(hours=8))],
    )
    out = io.StringIO()
    call_command("oncall", "who", "--at", "2027-01-04T10:00Z", stdout=out)
    assert out.getvalue().strip() == (
        "Daytime  Ana  until Mon 2027-01-04 17:00 UTC, then a gap; "
        "next Bruno from Tue 2027-01-05 09:00 UTC"
    )
    out = io.StringIO()
    call_command("oncall", "who", "--at", "2027-01-04T20:00Z", stdout=out)
    assert out.getvalue().strip() == (
        "Daytime  nobody (a gap)  until Tue 2027-01-05 09:00 UTC, then Bruno"
    )
