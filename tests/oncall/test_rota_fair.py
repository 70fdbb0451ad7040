"""The fair rota generator (pure): coverage, hard rules, reasons, fairness against round-robin.

Every rule is checked here from the proposal's shifts alone, with this file's own reading of the
problem (who may take an hour), never from the solver's internals.
"""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncall.fatigue import Interruption, interruption_at
from oncall.load import load_of
from oncall.rota import Layer, Restriction, RestrictionKind, Rota, Shift, TurnUnit, final_shifts
from oncall.rota.fair import (
    Need,
    Participant,
    Problem,
    Rules,
    baseline_shifts,
    loads_of,
    needs_always,
    needs_from_layers,
    propose,
)
from oncall.rota.fair.sample import demo_like

HOUR = timedelta(hours=1)
ZONES = ("UTC", "Europe/Lisbon", "America/Sao_Paulo", "Asia/Singapore", "Asia/Kolkata")
QUICK = Rules(time_limit_seconds=1.0, workers=1)
PROPERTY = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


# --- An independent reading of the rules -------------------------------------------------------


def _hours(start, end):
    at = start
    while at < end:
        yield at
        at += HOUR


def _asleep(participant, hour) -> bool:
    # Any part of the hour in the person's sleep hours (a zone 30 minutes off splits hours).
    return any(
        interruption_at(hour + minutes * timedelta(minutes=1), participant.time_zone)[1]
        is Interruption.SLEEP
        for minutes in (0, 30, 59)
    )


def _away(participant, hour) -> bool:
    return any(start < hour + HOUR and hour < end for start, end in participant.unavailable)


def _required(problem):
    hours = {}
    for need in problem.needs:
        at = problem.since + HOUR * ((need.start - problem.since) // HOUR)
        while need.start < need.end and at < need.end and at < problem.until:
            if at >= problem.since:
                hours.setdefault(at, set()).update(need.candidates)
            at += HOUR
    return hours


def _may_take(problem):
    """Return {hour: people who may take it}: candidates, not away, asleep only if all are."""
    people = {p.key: p for p in problem.participants}
    allowed = {}
    for hour, keys in _required(problem).items():
        present = [people[k] for k in keys if not _away(people[k], hour)]
        awake = [p for p in present if not _asleep(p, hour)]
        chosen = awake if problem.rules.avoid_sleep and awake else present
        allowed[hour] = {p.key for p in chosen}
    return allowed


def assert_keeps_every_rule(problem, proposal):
    rules = problem.rules
    required = _required(problem)
    allowed = _may_take(problem)
    taken = {}
    for shift in proposal.shifts:
        assert shift.start < shift.end and (shift.end - shift.start) % HOUR == timedelta(0)
        for hour in _hours(shift.start, shift.end):
            assert hour in required, f"{hour} is not required but has a shift"
            assert hour not in taken, f"{hour} is in two shifts"
            taken[hour] = shift.person
    assert set(taken) == set(required), "every required hour is in exactly one shift"
    uncovered = {hour for u in proposal.uncovered for hour in _hours(u.start, u.end)}
    assert uncovered == {hour for hour, person in taken.items() if person is None}
    assert all(u.reason for u in proposal.uncovered)
    for hour, person in taken.items():
        if person is not None:
            assert person in allowed[hour], f"{person} may not take {hour}"
    people = {p.key: p for p in problem.participants}
    mine = {}
    for shift in proposal.shifts:
        if shift.person is not None:
            mine.setdefault(shift.person, []).append(shift)
    for key, shifts in mine.items():
        for shift in shifts:
            length = (shift.end - shift.start) / HOUR
            assert length <= rules.max_shift_hours
            whole_window = (
                shift.start == problem.since or key not in allowed.get(shift.start - HOUR, ())
            ) and key not in allowed.get(shift.end, ())
            assert length >= rules.min_shift_hours or whole_window or shift.end == problem.until
        for before, after in zip(shifts, shifts[1:], strict=False):
            assert after.start - before.end >= rules.min_rest_hours * HOUR
        zone = ZoneInfo(people[key].time_zone)
        days = {hour.astimezone(zone).date() for s in shifts for hour in _hours(s.start, s.end)}
        days |= {
            (hour + HOUR - timedelta(microseconds=1)).astimezone(zone).date()
            for s in shifts
            for hour in _hours(s.start, s.end)
        }
        longest = run = 0
        for day in sorted(days):
            run = run + 1 if day - timedelta(days=1) in days else 1
            longest = max(longest, run)
        assert longest <= rules.max_consecutive_days


# --- Problems ----------------------------------------------------------------------------------


def person(key, zone="UTC", away=(), label=None, holidays=frozenset()):
    return Participant(
        key=key,
        label=label or f"Person {key}",
        time_zone=zone,
        unavailable=tuple(away),
        holidays=holidays,
    )


@st.composite
def problems(draw):
    start = draw(st.sampled_from([date(2027, 1, 4), date(2027, 3, 26), date(2027, 10, 29)]))
    since = datetime.combine(start, time(draw(st.integers(0, 23))), UTC)
    until = since + timedelta(days=draw(st.integers(2, 4)))
    size = draw(st.integers(2, 6))
    participants = []
    for key in range(1, size + 1):
        away = []
        if draw(st.booleans()):
            offset = draw(st.integers(0, int((until - since) / HOUR) - 1))
            length = draw(st.integers(1, 36))
            away.append((since + offset * HOUR, since + (offset + length) * HOUR))
        participants.append(person(key, draw(st.sampled_from(ZONES)), away))
    keys = [p.key for p in participants]
    if draw(st.booleans()):
        needs = needs_always(participants, since, until)
    else:
        needs = []
        for day in range(int((until - since) / timedelta(days=1))):
            begin = since + timedelta(days=day, hours=draw(st.integers(0, 23)))
            end = min(until, begin + HOUR * draw(st.integers(1, 16)))
            chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3, unique=True))
            needs.append(Need(begin, end, f"Window {day}", tuple(chosen)))
        needs = tuple(needs)
    rules = Rules(
        min_shift_hours=draw(st.integers(1, 4)),
        max_shift_hours=draw(st.integers(6, 12)),
        min_rest_hours=draw(st.integers(0, 12)),
        max_consecutive_days=draw(st.integers(1, 5)),
        avoid_sleep=draw(st.booleans()),
        time_limit_seconds=1.0,
        workers=1,
    )
    return Problem(since, until, tuple(participants), needs, rules)


# --- Properties --------------------------------------------------------------------------------


@PROPERTY
@given(problems())
def test_a_proposal_covers_what_it_can_and_breaks_no_hard_rule(problem):
    proposal = propose(problem)

    assert_keeps_every_rule(problem, proposal)
    assert proposal.status in ("optimal", "feasible", "infeasible")
    allowed = _may_take(problem)
    for u in proposal.uncovered:
        for hour in _hours(u.start, u.end):
            if not allowed[hour]:  # nobody may take it: the reason says who is away or asleep
                assert "time off" in u.reason or "asleep" in u.reason or "nobody" in u.reason


@settings(PROPERTY, max_examples=6)
@given(
    st.integers(4, 6),
    st.integers(0, 23),
    st.sampled_from([date(2027, 1, 4), date(2027, 3, 26), date(2027, 10, 29)]),
)
def test_a_team_big_enough_for_the_rules_is_covered_every_hour(size, hour, day):
    since = datetime.combine(day, time(hour), UTC)
    team = tuple(person(key) for key in range(1, size + 1))
    problem = Problem(since, since + timedelta(days=3), team, (), QUICK)
    problem = Problem(since, problem.until, team, needs_always(team, since, problem.until), QUICK)

    proposal = propose(problem)

    assert_keeps_every_rule(problem, proposal)
    assert proposal.uncovered == ()
    assert sum(p.proposed.hours for p in proposal.people) == 72


# --- Examples ----------------------------------------------------------------------------------


MONDAY = datetime(2027, 1, 4, tzinfo=UTC)


def test_follow_the_sun_across_three_zones_gives_nobody_a_night_hour():
    zones = ("America/Sao_Paulo", "Europe/Lisbon", "Asia/Singapore")
    team = tuple(person(k, zones[k % 3]) for k in range(9))
    until = MONDAY + timedelta(days=7)
    problem = Problem(MONDAY, until, team, needs_always(team, MONDAY, until), QUICK)

    proposal = propose(problem)

    assert_keeps_every_rule(problem, proposal)
    assert proposal.uncovered == ()
    assert all(p.proposed.night == 0 for p in proposal.people)
    assert proposal.spread.night == 0
    assert "every required hour had a candidate awake" in proposal.rules_held[2]


def test_time_off_is_never_on_call_and_the_others_cover_it():
    until = MONDAY + timedelta(days=4)
    away = (MONDAY + timedelta(hours=20), MONDAY + timedelta(days=2, hours=6))
    team = (person(1, away=[away], label="Ana Souza"), person(2), person(3), person(4))
    problem = Problem(MONDAY, until, team, needs_always(team, MONDAY, until), QUICK)

    proposal = propose(problem)

    assert_keeps_every_rule(problem, proposal)
    assert proposal.uncovered == ()
    for shift in proposal.shifts:
        if shift.person == 1:
            assert shift.end <= away[0] or away[1] <= shift.start


def test_hours_nobody_may_take_come_back_uncovered_with_names_and_the_rest_is_covered():
    until = MONDAY + timedelta(days=2)
    both_away = (MONDAY + timedelta(hours=30), MONDAY + timedelta(hours=34))
    team = (
        person(1, away=[both_away], label="Ana Souza"),
        person(2, away=[both_away], label="Bruno Lima"),
        person(3, away=[(MONDAY, until)], label="Carla Mendes"),
    )
    rules = replace(QUICK, min_rest_hours=14)
    problem = Problem(MONDAY, until, team, needs_always(team, MONDAY, until), rules)

    proposal = propose(problem)

    assert_keeps_every_rule(problem, proposal)
    away = [u for u in proposal.uncovered if u.start < both_away[1] and both_away[0] < u.end]
    assert (away[0].start, away[-1].end) == both_away
    assert "Ana Souza, Bruno Lima and Carla Mendes are on time off" in away[0].reason
    # Two people with 14 h rest and 12 h shifts cannot hold 24/7 either: those hours are named.
    others = [u for u in proposal.uncovered if u not in away]
    assert others and all("could not take it without breaking" in u.reason for u in others)
    covered = sum((s.end - s.start) / HOUR for s in proposal.shifts if s.person is not None)
    assert covered + sum((u.end - u.start) / HOUR for u in proposal.uncovered) == 48


def test_a_sleeper_is_not_woken_while_someone_awake_could_cover_and_the_reason_says_so():
    # 00:00-02:00 UTC: Ana (Lisbon) sleeps, Wei (Singapore, 08:00-10:00) is awake. Wei may work
    # only one day in a row, so one of the two windows stays uncovered, and it says why.
    ana = person(1, "Europe/Lisbon", label="Ana Souza")
    wei = person(2, "Asia/Singapore", label="Wei Ling Tan")
    needs = tuple(
        Need(MONDAY + timedelta(days=d), MONDAY + timedelta(days=d, hours=2), "Night", (1, 2))
        for d in (0, 1)
    )
    rules = replace(QUICK, max_consecutive_days=1)
    problem = Problem(MONDAY, MONDAY + timedelta(days=2), (ana, wei), needs, rules)

    proposal = propose(problem)

    assert_keeps_every_rule(problem, proposal)
    assert sorted(s.person or 0 for s in proposal.shifts) == [0, 2]  # one night each way
    (uncovered,) = proposal.uncovered
    assert uncovered.end - uncovered.start == 2 * HOUR
    assert "Ana Souza is asleep" in uncovered.reason
    assert "Wei Ling Tan could not take it without breaking" in uncovered.reason


def test_a_dst_change_in_the_horizon_counts_the_23_and_25_hour_days_exactly():
    lisbon = ZoneInfo("Europe/Lisbon")
    for day, hours, night in ((date(2027, 3, 28), 23, 9), (date(2027, 10, 31), 25, 11)):
        start = datetime.combine(day, time(0), lisbon)
        end = datetime.combine(day + timedelta(days=1), time(0), lisbon)
        team = tuple(person(k, "Europe/Lisbon") for k in range(1, 5))
        problem = Problem(
            start.astimezone(UTC),
            end.astimezone(UTC),
            team,
            needs_always(team, start, end),
            QUICK,
        )

        proposal = propose(problem)

        assert_keeps_every_rule(problem, proposal)
        assert proposal.uncovered == ()
        assert sum(p.proposed.hours for p in proposal.people) == hours
        # Nobody is awake 22:00-08:00, so those hours are someone's night: 9 h, then 11 h.
        assert sum(p.proposed.night for p in proposal.people) == night


def test_public_holidays_are_given_to_people_whose_holiday_it_is_not():
    until = MONDAY + timedelta(days=3)
    holiday = frozenset({date(2027, 1, 5)})
    team = (person(1, holidays=holiday), person(2, holidays=holiday), person(3), person(4))
    problem = Problem(MONDAY, until, team, needs_always(team, MONDAY, until), QUICK)

    proposal = propose(problem)

    assert_keeps_every_rule(problem, proposal)
    assert all(p.proposed.holiday == 0 for p in proposal.people)


def test_on_a_demo_like_team_the_proposal_halves_round_robins_spread():
    problem = demo_like("Secondary", weeks=4, rules=Rules(time_limit_seconds=8.0))

    proposal = propose(problem)

    assert_keeps_every_rule(problem, proposal)
    assert proposal.uncovered == ()
    for name in ("night", "weekend", "holiday"):
        proposed = getattr(proposal.spread, name)
        assert proposed <= getattr(proposal.baseline_spread, name) / 2, name


# --- Needs, round-robin and loads ---------------------------------------------------------------


def _weekly(keys, zone, restrictions=()):
    return Layer(
        participants=keys,
        turn_unit=TurnUnit.WEEKS,
        turn_count=1,
        handoff=datetime(2026, 1, 5, 9, tzinfo=ZoneInfo(zone)),
        time_zone=zone,
        restrictions=restrictions,
    )


def test_needs_from_layers_follow_the_winning_layer_and_round_robin_is_the_final_schedule():
    day = Restriction(RestrictionKind.DAILY, time(8), timedelta(hours=8))
    low = _weekly((1, 2), "UTC")
    high = _weekly((3, 4), "UTC", (day,))
    until = MONDAY + timedelta(days=1)

    needs = needs_from_layers([("Base", low), ("Day", high)], MONDAY, until)

    assert [(n.start.hour, n.end - n.start, n.layer, n.candidates) for n in needs] == [
        (0, timedelta(hours=8), "Base", (1, 2)),
        (8, timedelta(hours=8), "Day", (3, 4)),
        (16, timedelta(hours=8), "Base", (1, 2)),
    ]
    assert baseline_shifts([low, high], MONDAY, until) == tuple(
        final_shifts(Rota(layers=(low, high)), MONDAY, until)
    )


def test_loads_of_reads_each_person_on_their_own_wall_clock():
    team = (person(1, "Asia/Singapore"), person(2, "UTC"))
    shifts = (Shift(MONDAY, MONDAY + 2 * HOUR, 1), Shift(MONDAY, MONDAY + 2 * HOUR, None))

    loads = loads_of(shifts, team)

    assert loads[1] == load_of([(MONDAY, MONDAY + 2 * HOUR)], time_zone="Asia/Singapore")
    assert loads[1].night == 0 and loads[2].hours == 0


def test_malformed_problems_are_refused_naming_the_part_and_impossible_ones_are_not():
    team = (person(1),)
    until = MONDAY + timedelta(hours=6)
    cases = [
        (Problem(MONDAY.replace(tzinfo=None), until, team, ()), "since"),
        (Problem(MONDAY + timedelta(minutes=30), until, team, ()), "since must be a whole hour"),
        (Problem(until, MONDAY, team, ()), "until must be after since"),
        (Problem(MONDAY, until, team, (Need(MONDAY, until, "X", (9,)),)), "names 9"),
        (
            Problem(MONDAY, until, team, (), Rules(min_shift_hours=8, max_shift_hours=6)),
            "min_shift_hours",
        ),
    ]
    for problem, words in cases:
        with pytest.raises(ValueError, match=words):
            propose(problem)
    # One person, a 30-hour need, 12-hour shifts: not an error, just named uncovered hours.
    long = MONDAY + timedelta(hours=30)
    proposal = propose(Problem(MONDAY, long, team, needs_always(team, MONDAY, long), QUICK))
    assert proposal.uncovered and proposal.shifts


def test_why_each_rule_held_is_told_with_the_figures_of_the_proposal():
    until = MONDAY + timedelta(days=3)
    team = (person(1, label="Ana Souza"), person(2, label="Bruno Lima"), person(3))
    problem = Problem(MONDAY, until, team, needs_always(team, MONDAY, until), QUICK)

    proposal = propose(problem)

    coverage, time_off, sleep, length, rest, days = proposal.rules_held
    assert coverage == "Coverage: 72 of 72 required hours are covered."
    assert time_off == "Time off: nobody has time off in the horizon."
    mine = {}
    for shift in proposal.shifts:
        mine.setdefault(shift.person, []).append(shift)
    shortest = min(
        int((after.start - before.end) / HOUR)
        for shifts in mine.values()
        for before, after in zip(shifts, shifts[1:], strict=False)
    )
    assert rest.startswith(
        f"Minimum rest 10 h: the shortest rest between two shifts of one person is {shortest} h ("
    )
    longest = max(int((s.end - s.start) / HOUR) for s in proposal.shifts)
    assert f"to {longest} h (" in length and length.startswith("Shift length 4-12 h: shifts run")
    assert days.startswith("At most 5 consecutive days on call: the longest run is 3 days")
