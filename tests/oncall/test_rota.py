"""The pure rota rules: who is on call, shifts, gaps, DST. No Django, no database."""

import bisect
import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncall.rota import (
    Layer,
    Override,
    Restriction,
    RestrictionKind,
    Rota,
    RotaError,
    Shift,
    TurnUnit,
    final_shifts,
    gaps,
    layer_on_call_at,
    layer_shifts,
    next_shift_after,
    on_call_at,
    shift_at,
    validate,
)

LISBON = ZoneInfo("Europe/Lisbon")
NEW_YORK = ZoneInfo("America/New_York")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
SINGAPORE = ZoneInfo("Asia/Singapore")
ONE_US = timedelta(microseconds=1)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def at(zone: ZoneInfo, *fields: int) -> datetime:
    return datetime(*fields, tzinfo=zone)


def weekly(participants, handoff, zone, restrictions=()):
    return Layer(
        participants=tuple(participants),
        turn_unit=TurnUnit.WEEKS,
        turn_count=1,
        handoff=handoff,
        time_zone=zone.key,
        restrictions=tuple(restrictions),
    )


def daily_window(start: time, hours: float) -> Restriction:
    return Restriction(RestrictionKind.DAILY, start, timedelta(hours=hours))


def follow_the_sun() -> Rota:
    """Three weekly layers, each on duty in its own office hours, Singapore highest."""
    sao_paulo = weekly(
        ["ana", "bia", "caio", "davi", "eva", "fabio"],
        at(SAO_PAULO, 2026, 1, 5, 9),
        SAO_PAULO,
        [daily_window(time(12), 9)],
    )
    lisbon = weekly(
        ["rui", "sofia", "tiago", "ines", "joao", "marta"],
        at(LISBON, 2026, 1, 5, 9),
        LISBON,
        [daily_window(time(8), 8)],
    )
    singapore = weekly(
        ["wei", "mei", "arjun", "siti", "ken"],
        at(SINGAPORE, 2026, 1, 5, 9),
        SINGAPORE,
        [daily_window(time(8), 8)],
    )
    return Rota(layers=(sao_paulo, lisbon, singapore))


# --- Readable examples --------------------------------------------------------------------------


def test_three_person_weekly_rota_hands_off_on_monday_morning():
    rota = Rota(layers=(weekly(["ana", "bruno", "carla"], at(LISBON, 2026, 1, 5, 9), LISBON),))

    assert on_call_at(rota, at(LISBON, 2026, 1, 5, 9)) == "ana"
    assert on_call_at(rota, at(LISBON, 2026, 1, 9, 23, 30)) == "ana"
    assert on_call_at(rota, at(LISBON, 2026, 1, 12, 8, 59)) == "ana"
    assert on_call_at(rota, at(LISBON, 2026, 1, 12, 9)) == "bruno"
    assert on_call_at(rota, at(LISBON, 2026, 1, 19, 9)) == "carla"
    assert on_call_at(rota, at(LISBON, 2026, 1, 26, 9)) == "ana"
    # Before the handoff the rotation runs backwards: the week before was Carla's.
    assert on_call_at(rota, at(LISBON, 2026, 1, 5, 8, 59)) == "carla"
    # Twelve weeks later, across the spring-forward, still Monday 09:00 local.
    assert on_call_at(rota, at(LISBON, 2026, 3, 30, 8, 59)) == "carla"
    assert on_call_at(rota, at(LISBON, 2026, 3, 30, 9)) == "ana"


def test_shifts_are_in_utc_and_cover_the_asked_range():
    rota = Rota(layers=(weekly(["ana", "bruno"], at(LISBON, 2026, 6, 1, 9), LISBON),))

    shifts = final_shifts(rota, at(LISBON, 2026, 6, 3), at(LISBON, 2026, 6, 10))

    assert shifts == [
        Shift(at(UTC, 2026, 6, 2, 23), at(UTC, 2026, 6, 8, 8), "ana"),
        Shift(at(UTC, 2026, 6, 8, 8), at(UTC, 2026, 6, 9, 23), "bruno"),
    ]
    assert all(s.start.tzinfo is UTC and s.end.tzinfo is UTC for s in shifts)


def test_follow_the_sun_covers_every_hour_of_the_year():
    rota = follow_the_sun()

    assert gaps(rota, at(UTC, 2026, 1, 1), at(UTC, 2027, 1, 1)) == []


def test_follow_the_sun_hands_over_with_the_office_hours():
    rota = follow_the_sun()
    # Tuesday 2026-02-10 is in the sixth week after the handoffs (turn 5).
    assert on_call_at(rota, at(UTC, 2026, 2, 10, 3)) == "wei"  # 11:00 in Singapore
    assert on_call_at(rota, at(UTC, 2026, 2, 10, 10)) == "marta"  # 10:00 in Lisbon
    assert on_call_at(rota, at(UTC, 2026, 2, 10, 18)) == "fabio"  # 15:00 in Sao Paulo
    # The higher layer wins where windows overlap: Lisbon 15:00-16:00 over Sao Paulo in winter,
    assert on_call_at(rota, at(UTC, 2026, 2, 10, 15, 30)) == "marta"
    # and Singapore over Lisbon in summer, when Lisbon's 08:00 is 07:00 UTC.
    # Tuesday 2026-07-14 is in turn 27.
    assert on_call_at(rota, at(UTC, 2026, 7, 14, 7, 30)) == "arjun"
    assert on_call_at(rota, at(UTC, 2026, 7, 14, 8)) == "ines"
    assert on_call_at(rota, at(UTC, 2026, 7, 14, 15)) == "davi"


def test_restricted_layer_shows_gaps_outside_its_window():
    nine_to_five = weekly(["ana"], at(LISBON, 2026, 1, 5, 9), LISBON, [daily_window(time(9), 8)])
    rota = Rota(layers=(nine_to_five,))

    shifts = final_shifts(rota, at(LISBON, 2026, 1, 6), at(LISBON, 2026, 1, 7))

    assert shifts == [
        Shift(at(UTC, 2026, 1, 6), at(UTC, 2026, 1, 6, 9), None),
        Shift(at(UTC, 2026, 1, 6, 9), at(UTC, 2026, 1, 6, 17), "ana"),
        Shift(at(UTC, 2026, 1, 6, 17), at(UTC, 2026, 1, 7), None),
    ]
    assert gaps(rota, at(LISBON, 2026, 1, 6), at(LISBON, 2026, 1, 7)) == [
        shifts[0],
        shifts[2],
    ]


def test_restriction_masks_the_rotation_without_changing_whose_turn_it_is():
    # Daily turns hand off at 09:00 but the layer only covers 08:00-16:00: from 08:00 to 09:00
    # it is still yesterday's person, as in PagerDuty.
    layer = Layer(
        ("ana", "bruno"),
        TurnUnit.DAYS,
        1,
        at(LISBON, 2026, 1, 5, 9),
        "Europe/Lisbon",
        restrictions=(daily_window(time(8), 8),),
    )
    assert layer_on_call_at(layer, at(LISBON, 2026, 1, 6, 8, 30)) == "ana"
    assert layer_on_call_at(layer, at(LISBON, 2026, 1, 6, 9)) == "bruno"
    assert layer_on_call_at(layer, at(LISBON, 2026, 1, 6, 16)) is None
    assert layer_on_call_at(layer, at(LISBON, 2026, 1, 6, 7, 59)) is None


def test_night_window_crosses_midnight():
    nights = Layer(
        ("ana",),
        TurnUnit.WEEKS,
        1,
        at(LISBON, 2026, 1, 5, 9),
        "Europe/Lisbon",
        restrictions=(daily_window(time(22), 10),),
    )
    assert layer_on_call_at(nights, at(LISBON, 2026, 1, 7, 3)) == "ana"  # opened yesterday
    assert layer_on_call_at(nights, at(LISBON, 2026, 1, 7, 7, 59)) == "ana"
    assert layer_on_call_at(nights, at(LISBON, 2026, 1, 7, 8)) is None
    assert layer_on_call_at(nights, at(LISBON, 2026, 1, 7, 22)) == "ana"


def test_weekend_window_crosses_the_end_of_the_week():
    weekend = Restriction(RestrictionKind.WEEKLY, time(18), timedelta(hours=63), start_weekday=4)
    layer = weekly(["ana", "bruno"], at(LISBON, 2026, 1, 5, 9), LISBON, [weekend])

    assert layer_on_call_at(layer, at(LISBON, 2026, 1, 9, 17, 59)) is None  # Friday
    assert layer_on_call_at(layer, at(LISBON, 2026, 1, 9, 18)) == "ana"
    assert layer_on_call_at(layer, at(LISBON, 2026, 1, 11, 12)) == "ana"  # Sunday
    assert layer_on_call_at(layer, at(LISBON, 2026, 1, 12, 8, 59)) == "ana"  # Monday
    assert layer_on_call_at(layer, at(LISBON, 2026, 1, 12, 9)) is None
    assert layer_on_call_at(layer, at(LISBON, 2026, 1, 16, 18)) == "bruno"


def test_hours_turns_are_elapsed_time_even_across_dst():
    layer = Layer(
        ("ana", "bruno"), TurnUnit.HOURS, 12, at(LISBON, 2026, 3, 28, 20), "Europe/Lisbon"
    )

    shifts = layer_shifts(layer, at(LISBON, 2026, 3, 28, 20), at(LISBON, 2026, 3, 30, 9))

    assert [s.end - s.start for s in shifts[:3]] == [timedelta(hours=12)] * 3
    assert shifts[1].start.astimezone(LISBON) == at(LISBON, 2026, 3, 29, 9)  # 08:00 + 1 h DST


def test_override_covers_the_rotation_and_leaves_it_intact_around():
    base = weekly(["ana", "bruno"], at(LISBON, 2026, 1, 5, 9), LISBON)
    dentist = Override("carla", at(LISBON, 2026, 1, 7, 14), at(LISBON, 2026, 1, 7, 18))
    rota = Rota(layers=(base,), overrides=(dentist,))

    assert final_shifts(rota, at(LISBON, 2026, 1, 7), at(LISBON, 2026, 1, 8)) == [
        Shift(at(UTC, 2026, 1, 7), at(UTC, 2026, 1, 7, 14), "ana"),
        Shift(at(UTC, 2026, 1, 7, 14), at(UTC, 2026, 1, 7, 18), "carla"),
        Shift(at(UTC, 2026, 1, 7, 18), at(UTC, 2026, 1, 8), "ana"),
    ]


def test_later_override_wins_where_overrides_overlap():
    base = weekly(["ana"], at(UTC, 2026, 1, 5, 9), ZoneInfo("UTC"))
    rota = Rota(
        layers=(base,),
        overrides=(
            Override("bruno", at(UTC, 2026, 1, 7, 10), at(UTC, 2026, 1, 7, 14)),
            Override("carla", at(UTC, 2026, 1, 7, 12), at(UTC, 2026, 1, 7, 13)),
        ),
    )
    assert [s.person for s in final_shifts(rota, at(UTC, 2026, 1, 7), at(UTC, 2026, 1, 8))] == [
        "ana",
        "bruno",
        "carla",
        "bruno",
        "ana",
    ]
    assert on_call_at(rota, at(UTC, 2026, 1, 7, 12)) == "carla"
    assert on_call_at(rota, at(UTC, 2026, 1, 7, 13)) == "bruno"


def test_next_shift_after_names_who_comes_next_skipping_gaps():
    days = Layer(
        ("ana", "bruno"),
        TurnUnit.DAYS,
        1,
        at(LISBON, 2026, 1, 5, 9),
        "Europe/Lisbon",
        restrictions=(daily_window(time(9), 8),),
    )
    rota = Rota(layers=(days,))

    upcoming = next_shift_after(rota, at(LISBON, 2026, 1, 5, 10))

    assert upcoming == Shift(at(UTC, 2026, 1, 6, 9), at(UTC, 2026, 1, 6, 17), "bruno")
    assert next_shift_after(rota, at(LISBON, 2026, 1, 5, 20)) == upcoming  # from a gap
    assert next_shift_after(rota, at(LISBON, 2026, 1, 5, 10), horizon=timedelta(hours=20)) is None


# --- DST: a 09:00 handoff stays at 09:00 local ---------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "transition", "night_hours"),
    [
        (LISBON, date(2026, 3, 29), 23),
        (LISBON, date(2026, 10, 25), 25),
        (LISBON, date(2027, 3, 28), 23),
        (LISBON, date(2027, 10, 31), 25),
        (NEW_YORK, date(2026, 3, 8), 23),
        (NEW_YORK, date(2026, 11, 1), 25),
        (NEW_YORK, date(2027, 3, 14), 23),
        (NEW_YORK, date(2027, 11, 7), 25),
    ],
)
def test_daily_handoff_stays_at_nine_local_across_dst(zone, transition, night_hours):
    handoff = datetime.combine(transition - timedelta(days=10), time(9), tzinfo=zone)
    layer = Layer(("ana", "bruno", "carla"), TurnUnit.DAYS, 1, handoff, zone.key)

    shifts = layer_shifts(layer, handoff, handoff + timedelta(days=20))

    assert [s.start.astimezone(zone).time() for s in shifts] == [time(9)] * 20
    assert [s.start.astimezone(zone).date() for s in shifts] == [
        handoff.date() + timedelta(days=n) for n in range(20)
    ]
    over_the_transition = shifts[9]
    assert over_the_transition.end - over_the_transition.start == timedelta(hours=night_hours)
    assert [s.person for s in shifts[:4]] == ["ana", "bruno", "carla", "ana"]


@pytest.mark.parametrize(
    ("zone", "transition", "week_hours"),
    [
        (LISBON, date(2026, 3, 29), 167),
        (LISBON, date(2026, 10, 25), 169),
        (NEW_YORK, date(2027, 3, 14), 167),
        (NEW_YORK, date(2027, 11, 7), 169),
    ],
)
def test_weekly_handoff_stays_at_nine_local_across_dst(zone, transition, week_hours):
    monday_before = transition - timedelta(days=transition.weekday())
    handoff = datetime.combine(monday_before, time(9), tzinfo=zone)
    layer = Layer(("ana", "bruno"), TurnUnit.WEEKS, 1, handoff, zone.key)

    first, second = layer_shifts(layer, handoff, handoff + timedelta(days=14))

    assert first.end - first.start == timedelta(hours=week_hours)
    assert second.start.astimezone(zone) == datetime.combine(
        monday_before + timedelta(days=7), time(9), tzinfo=zone
    )
    assert (first.person, second.person) == ("ana", "bruno")


def test_handoff_in_the_spring_forward_gap_resolves_to_after_the_gap():
    # 01:30 does not exist in Lisbon on 2026-03-29; fold=0 reads it with the winter offset.
    layer = Layer(("ana", "bruno"), TurnUnit.DAYS, 1, at(LISBON, 2026, 3, 20, 1, 30), LISBON.key)

    shifts = layer_shifts(layer, at(UTC, 2026, 3, 27), at(UTC, 2026, 4, 1))

    starts = [s.start for s in shifts[1:]]
    assert starts == sorted(set(starts))
    assert at(UTC, 2026, 3, 29, 1, 30) in starts  # 02:30 summer time
    assert at(UTC, 2026, 3, 30, 0, 30) in starts  # 01:30 summer time again


def test_handoff_in_the_repeated_hour_keeps_its_fold():
    # Compare in UTC: an ambiguous local time never equals a datetime in another zone (PEP 495).
    first = at(LISBON, 2026, 10, 25, 1, 30)  # 00:30 UTC, summer time
    second = first.replace(fold=1)  # 01:30 UTC, winter time
    for handoff in (first.astimezone(UTC), second.astimezone(UTC)):
        layer = Layer(("ana", "bruno"), TurnUnit.DAYS, 1, handoff, LISBON.key)
        assert layer_shifts(layer, handoff, handoff + timedelta(hours=1))[0].start == handoff
        assert layer_on_call_at(layer, handoff) == "ana"
        assert layer_on_call_at(layer, handoff - ONE_US) == "bruno"
    # Both keep 01:30 local as their handoff time the next day, an ordinary one.
    for handoff in (first, second):
        layer = Layer(("ana", "bruno"), TurnUnit.DAYS, 1, handoff, LISBON.key)
        assert layer_on_call_at(layer, at(LISBON, 2026, 10, 26, 1, 29)) == "ana"
        assert layer_on_call_at(layer, at(LISBON, 2026, 10, 26, 1, 30)) == "bruno"


def test_a_local_day_that_never_happened_is_an_empty_turn():
    apia = ZoneInfo("Pacific/Apia")  # jumped from 2011-12-29 to 2011-12-31
    layer = Layer(("ana", "bruno", "carla"), TurnUnit.DAYS, 1, at(apia, 2011, 12, 28, 9), apia.key)

    shifts = layer_shifts(layer, at(apia, 2011, 12, 28, 9), at(apia, 2012, 1, 1, 9))

    assert [(s.start.astimezone(apia).day, s.person) for s in shifts] == [
        (28, "ana"),
        (29, "bruno"),
        (31, "ana"),
    ]
    assert shifts[1].end - shifts[1].start == timedelta(hours=24)


# --- Validation ---------------------------------------------------------------------------------

HANDOFF = at(UTC, 2026, 1, 5, 9)


def make_layer(**changes):
    fields = dict(
        participants=("ana",),
        turn_unit=TurnUnit.WEEKS,
        turn_count=1,
        handoff=HANDOFF,
        time_zone="Europe/Lisbon",
    )
    return Layer(**(fields | changes))


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (lambda: make_layer(participants=()), "no participants"),
        (lambda: make_layer(turn_count=0), "turn_count must be a whole number >= 1"),
        (lambda: make_layer(turn_count=-2), "turn_count must be a whole number >= 1"),
        (lambda: make_layer(turn_unit="fortnights"), "unknown turn_unit 'fortnights'"),
        (lambda: make_layer(time_zone="Mars/Olympus_Mons"), "unknown time zone 'Mars/Olympus"),
        (lambda: make_layer(time_zone=""), "unknown time zone ''"),
        (lambda: make_layer(handoff=datetime(2026, 1, 5, 9)), "handoff is a naive datetime"),
        (
            lambda: make_layer(active_from=datetime(2026, 1, 1)),
            "active_from is a naive datetime",
        ),
        (
            lambda: make_layer(active_until=datetime(2026, 1, 1)),
            "active_until is a naive datetime",
        ),
        (
            lambda: make_layer(active_from=HANDOFF, active_until=HANDOFF),
            "active_until .* is not after active_from",
        ),
        (
            lambda: make_layer(active_from=HANDOFF, active_until=HANDOFF - timedelta(days=1)),
            "active_until .* is not after active_from",
        ),
        (
            lambda: Override("ana", HANDOFF, HANDOFF),
            r"override end .* is not after its start",
        ),
        (
            lambda: Override("ana", HANDOFF, HANDOFF - timedelta(hours=1)),
            r"override end .* is not after its start",
        ),
        (
            lambda: Override("ana", datetime(2026, 1, 5), HANDOFF),
            "override start is a naive datetime",
        ),
        (
            lambda: Override("ana", HANDOFF, datetime(2026, 1, 6)),
            "override end is a naive datetime",
        ),
        (
            lambda: Restriction(RestrictionKind.DAILY, time(9), timedelta(0)),
            "duration must be positive",
        ),
        (
            lambda: Restriction(RestrictionKind.DAILY, time(9), timedelta(hours=-1)),
            "duration must be positive",
        ),
        (
            lambda: Restriction(RestrictionKind.DAILY, time(9), timedelta(hours=24, seconds=1)),
            "daily restriction duration must be at most 24 hours",
        ),
        (
            lambda: Restriction(RestrictionKind.WEEKLY, time(9), timedelta(days=7, seconds=1)),
            "weekly restriction duration must be at most 7 days",
        ),
        (
            lambda: Restriction(RestrictionKind.WEEKLY, time(9), timedelta(hours=1), 7),
            r"start_weekday must be 0 \(Monday\) to 6 \(Sunday\), not 7",
        ),
        (
            lambda: Restriction(RestrictionKind.WEEKLY, time(9), timedelta(hours=1), -1),
            "start_weekday must be 0",
        ),
        (
            lambda: Restriction(RestrictionKind.DAILY, time(9, tzinfo=UTC), timedelta(hours=1)),
            "start_time must be a local wall-clock time",
        ),
        (
            lambda: on_call_at(Rota(layers=()), datetime(2026, 1, 5)),
            "at is a naive datetime",
        ),
        (
            lambda: final_shifts(Rota(layers=()), datetime(2026, 1, 5), HANDOFF),
            "since is a naive datetime",
        ),
        (
            lambda: final_shifts(Rota(layers=()), HANDOFF, HANDOFF - ONE_US),
            "until .* is before since",
        ),
    ],
)
def test_invalid_rota_is_refused_naming_the_problem(build, problem):
    with pytest.raises(RotaError, match=problem):
        build()


def test_longest_restrictions_are_accepted():
    Restriction(RestrictionKind.DAILY, time(0), timedelta(hours=24))
    Restriction(RestrictionKind.WEEKLY, time(0), timedelta(days=7), start_weekday=6)


def test_validate_rechecks_a_rota_that_bypassed_construction():
    layer = make_layer()
    rota = Rota(layers=(layer,))
    assert validate(rota) is None

    object.__setattr__(layer, "turn_count", 0)  # as an unpickled or hand-patched object might be
    with pytest.raises(RotaError, match="turn_count"):
        validate(rota)


def test_string_units_from_the_database_are_accepted():
    layer = make_layer(turn_unit="days", restrictions=[Restriction("daily", time(9), timedelta(1))])
    assert layer.turn_unit is TurnUnit.DAYS
    assert layer.restrictions[0].kind is RestrictionKind.DAILY


# --- Properties ---------------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/Lisbon",
    "America/New_York",
    "America/Sao_Paulo",
    "Asia/Singapore",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # half-hour DST
]
STEADY_ZONES = ["UTC", "Asia/Singapore", "Asia/Kolkata"]  # no DST in these years
PEOPLE = ["ana", "bruno", "carla", "davi", "eva", "fabio"]
QUARTER = timedelta(minutes=15)
# Each example lives around one anchor, most of them a few days before a DST change (Lisbon,
# New York, Lord Howe's half hour), so that windows, turns and overrides straddle it.
ANCHORS = [
    at(UTC, 2026, 1, 1),
    at(UTC, 2026, 3, 6),
    at(UTC, 2026, 3, 27),
    at(UTC, 2026, 4, 3),
    at(UTC, 2026, 10, 2),
    at(UTC, 2026, 10, 23),
    at(UTC, 2026, 10, 30),
]
anchor = st.shared(st.sampled_from(ANCHORS), key="anchor")


def quarters(low: int, high: int):
    """Instants on quarter hours from the anchor, so that boundaries often coincide."""
    return st.tuples(anchor, st.integers(low, high)).map(lambda pair: pair[0] + pair[1] * QUARTER)


@st.composite
def restrictions(draw):
    kind = draw(st.sampled_from(RestrictionKind))
    longest = 24 * 4 if kind is RestrictionKind.DAILY else 7 * 24 * 4
    return Restriction(
        kind,
        time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45]))),
        draw(st.integers(1, longest)) * QUARTER,
        draw(st.integers(0, 6)),
    )


@st.composite
def layers(draw, zones=ZONES, restricted=None, bounded=True):
    size = draw(st.integers(1, 4))
    participants = tuple(draw(st.permutations(PEOPLE))[:size])
    if restricted is None:
        restricted = draw(st.booleans())
    active_from = active_until = None
    if bounded and draw(st.booleans()):
        active_from = draw(quarters(-4 * 24 * 20, 4 * 24 * 20))
        active_until = active_from + draw(st.integers(1, 4 * 24 * 30)) * QUARTER
    return Layer(
        participants=participants,
        turn_unit=draw(st.sampled_from(TurnUnit)),
        turn_count=draw(st.integers(1, 3)),
        handoff=draw(quarters(-4 * 24 * 400, 4 * 24 * 400)),
        time_zone=draw(st.sampled_from(zones)),
        restrictions=tuple(draw(st.lists(restrictions(), min_size=1, max_size=2)))
        if restricted
        else (),
        active_from=active_from,
        active_until=active_until,
    )


@st.composite
def overrides(draw):
    start = draw(quarters(-4 * 24 * 10, 4 * 24 * 30))
    length = draw(st.integers(1, 4 * 24 * 4)) * QUARTER
    return Override(draw(st.sampled_from([*PEOPLE, "xavier", "yara"])), start, start + length)


@st.composite
def rotas(draw, max_overrides=5):
    return Rota(
        layers=tuple(draw(st.lists(layers(), min_size=0, max_size=3))),
        overrides=tuple(draw(st.lists(overrides(), max_size=max_overrides))),
    )


windows = st.tuples(quarters(-4 * 24 * 5, 4 * 24 * 20), st.integers(1, 4 * 24 * 14)).map(
    lambda pair: (pair[0], pair[0] + pair[1] * QUARTER)
)


def winner_by_definition(rota: Rota, instant: datetime):
    """Who the spec says is on call: the last override holding `instant`, else the top layer."""
    for override in reversed(rota.overrides):
        if override.start <= instant < override.end:
            return override.person
    for layer in reversed(rota.layers):
        person = layer_on_call_at(layer, instant)
        if person is not None:
            return person
    return None


def person_at(segments: list[Shift], instant: datetime):
    index = bisect.bisect_right([s.start for s in segments], instant) - 1
    assert index >= 0 and instant < segments[index].end
    return segments[index].person


def clipped(segments: list[Shift], since: datetime, until: datetime) -> list[Shift]:
    """Return segments cut to [since, until), neighbours with the same person merged."""
    result: list[Shift] = []
    for s in segments:
        start, end = max(s.start, since), min(s.end, until)
        if start >= end:
            continue
        if result and result[-1].person == s.person and result[-1].end == start:
            result[-1] = dataclasses.replace(result[-1], end=end)
        else:
            result.append(Shift(start, end, s.person))
    return result


@PROPERTY
@given(rota=rotas(), window=windows)
def test_final_shifts_cover_the_range_exactly_once(rota, window):
    since, until = window

    segments = final_shifts(rota, since, until)

    assert segments[0].start == since and segments[-1].end == until
    assert all(s.start < s.end for s in segments)
    assert all(s.start.tzinfo is UTC and s.end.tzinfo is UTC for s in segments)
    for before, after in pairwise(segments):
        assert before.end == after.start  # contiguous, hence sorted and never overlapping
        assert before.person != after.person  # same person merged


@PROPERTY
@given(rota=rotas(), window=windows, data=st.data())
def test_on_call_at_agrees_with_final_shifts(rota, window, data):
    since, until = window
    segments = final_shifts(rota, since, until)

    for segment in segments[:200]:
        assert on_call_at(rota, segment.start) == segment.person  # start inclusive
        assert on_call_at(rota, segment.end - ONE_US) == segment.person  # end exclusive
    span = (until - since) // ONE_US
    for _ in range(20):
        instant = since + data.draw(st.integers(0, span - 1)) * ONE_US
        assert on_call_at(rota, instant) == person_at(segments, instant)


@PROPERTY
@given(rota=rotas(), window=windows)
def test_overrides_then_higher_layers_win_and_gaps_show(rota, window):
    since, until = window

    for segment in final_shifts(rota, since, until)[:200]:
        for instant in (segment.start, segment.end - ONE_US):
            assert segment.person == winner_by_definition(rota, instant)


@PROPERTY
@given(layer=layers(), window=windows, data=st.data())
def test_layer_on_call_at_agrees_with_layer_shifts(layer, window, data):
    since, until = window
    pieces = layer_shifts(layer, since, until)

    assert all(p.person is not None and p.start < p.end for p in pieces)
    assert all(a.end <= b.start for a, b in pairwise(pieces))
    for piece in pieces[:200]:
        assert layer_on_call_at(layer, piece.start) == piece.person
        assert layer_on_call_at(layer, piece.end - ONE_US) == piece.person
    for _ in range(20):
        instant = data.draw(st.datetimes(since.replace(tzinfo=None), until.replace(tzinfo=None)))
        instant = instant.replace(tzinfo=UTC)
        if instant >= until:
            continue
        holding = [p.person for p in pieces if p.start <= instant < p.end]
        assert layer_on_call_at(layer, instant) == (holding[0] if holding else None)


@PROPERTY
@given(layer=layers(restricted=False, bounded=False), window=windows)
def test_rotation_advances_one_participant_per_turn(layer, window):
    since, until = window
    turns = layer_shifts(layer, since, until)
    position = {person: index for index, person in enumerate(layer.participants)}

    assert turns[0].start == since and turns[-1].end == until
    for before, after in pairwise(turns):
        assert before.end == after.start
        assert position[after.person] == (position[before.person] + 1) % len(position)
    if layer.turn_unit is TurnUnit.HOURS:
        assert all(t.end - t.start == timedelta(hours=layer.turn_count) for t in turns[1:-1])


@PROPERTY
@given(rota=rotas(), extra=overrides(), window=windows)
def test_removing_an_override_reexposes_the_rotation_untouched(rota, extra, window):
    since, until = window
    with_it = Rota(layers=rota.layers, overrides=(*rota.overrides, extra))

    shown = final_shifts(with_it, since, until)
    hidden = final_shifts(rota, since, until)

    for part in ((since, min(extra.start, until)), (max(extra.end, since), until)):
        assert clipped(shown, *part) == clipped(hidden, *part)
    inside = clipped(shown, max(extra.start, since), min(extra.end, until))
    assert all(s.person == extra.person for s in inside)


@PROPERTY
@given(
    zone=st.sampled_from([LISBON, NEW_YORK]),
    day=st.dates(date(2020, 1, 1), date(2035, 12, 31)),
    unit=st.sampled_from([TurnUnit.DAYS, TurnUnit.WEEKS]),
    count=st.integers(1, 2),
    offset_days=st.integers(-400, 400),
)
def test_nine_o_clock_handoff_stays_at_nine_local(zone, day, unit, count, offset_days):
    handoff = datetime.combine(day, time(9), tzinfo=zone)
    layer = Layer(("ana", "bruno", "carla"), unit, count, handoff, zone.key)
    since = handoff + timedelta(days=offset_days)

    turns = layer_shifts(layer, since, since + timedelta(days=370))  # both DST changes

    period = count * (7 if unit is TurnUnit.WEEKS else 1)
    for turn in turns[1:]:
        local = turn.start.astimezone(zone)
        assert local.time() == time(9)
        assert (local.date() - day).days % period == 0


@PROPERTY
@given(
    zone=st.sampled_from([LISBON, NEW_YORK, ZoneInfo("Australia/Lord_Howe")]),
    day=st.dates(date(2020, 1, 1), date(2035, 12, 31)),
    clock=st.times(),
    fold=st.sampled_from([0, 1]),
    unit=st.sampled_from([TurnUnit.DAYS, TurnUnit.WEEKS]),
)
def test_wall_clock_turns_resolve_gaps_and_repeats_deterministically(zone, day, clock, fold, unit):
    handoff = datetime.combine(day, clock, tzinfo=zone).replace(fold=fold).astimezone(UTC)
    layer = Layer(("ana", "bruno"), unit, 1, handoff, zone.key)
    local_handoff = handoff.astimezone(zone)  # a time in a gap reads as the real time it names

    turns = layer_shifts(layer, handoff, handoff + timedelta(days=800))

    assert turns[0].start == handoff
    step = timedelta(days=7 if unit is TurnUnit.WEEKS else 1)
    for k, turn in enumerate(turns):
        named = datetime.combine(
            local_handoff.date() + k * step, local_handoff.time(), tzinfo=zone
        ).replace(fold=local_handoff.fold)
        assert turn.start == named.astimezone(
            UTC
        )  # strictly increasing: turns are contiguous and non-empty


@PROPERTY
@given(layer=layers(zones=STEADY_ZONES, restricted=True, bounded=False), window=windows)
def test_without_dst_restrictions_are_plain_wall_clock_windows(layer, window):
    zone = ZoneInfo(layer.time_zone)
    since, until = window
    span = (until - since) // QUARTER

    for n in range(0, span, 7):  # every 1h45, to stay quick
        instant = since + n * QUARTER
        local = instant.astimezone(zone).replace(tzinfo=None)
        inside = False
        for r in layer.restrictions:
            for days_back in range(9):
                opening_day = local.date() - timedelta(days=days_back)
                if r.kind is RestrictionKind.WEEKLY and opening_day.weekday() != r.start_weekday:
                    continue
                opens = datetime.combine(opening_day, r.start_time)
                inside = inside or opens <= local < opens + r.duration
        assert (layer_on_call_at(layer, instant) is not None) == inside


@PROPERTY
@given(rota=rotas(), window=windows, horizon_days=st.integers(1, 30))
def test_shift_at_and_next_shift_after_agree_with_one_long_render(rota, window, horizon_days):
    at_, _ = window
    horizon = timedelta(days=horizon_days)
    segments = final_shifts(rota, at_, at_ + horizon)

    assert shift_at(rota, at_, horizon) == segments[0]
    others = [s for s in segments[1:] if s.person is not None and s.person != segments[0].person]
    assert next_shift_after(rota, at_, horizon) == (others[0] if others else None)
