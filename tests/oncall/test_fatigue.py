"""When a page interrupts a person: sleep, off and business hours, and the next daytime."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall.fatigue import Interruption, interruption_at, next_daytime, night_of, night_window

LISBON = ZoneInfo("Europe/Lisbon")
NEW_YORK = ZoneInfo("America/New_York")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
SINGAPORE = ZoneInfo("Asia/Singapore")
APIA = ZoneInfo("Pacific/Apia")

SLEEP, OFF, BUSINESS = Interruption.SLEEP, Interruption.OFF, Interruption.BUSINESS

PROPERTY = settings(max_examples=300, deadline=None)


def local(zone: ZoneInfo, *fields: int, fold: int = 0) -> datetime:
    return datetime(*fields, tzinfo=zone, fold=fold)


def category(at: datetime, zone: ZoneInfo) -> Interruption:
    return interruption_at(at, zone.key)[1]


# --- interruption_at: boundaries (2026-03-02 is a Monday) ---------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ((2026, 3, 2, 0, 0), SLEEP),
        ((2026, 3, 2, 7, 59, 59), SLEEP),
        ((2026, 3, 2, 8, 0), BUSINESS),
        ((2026, 3, 2, 12, 0), BUSINESS),
        ((2026, 3, 2, 17, 59, 59), BUSINESS),
        ((2026, 3, 2, 18, 0), OFF),
        ((2026, 3, 2, 21, 59, 59), OFF),
        ((2026, 3, 2, 22, 0), SLEEP),
        ((2026, 3, 6, 12, 0), BUSINESS),  # Friday
        ((2026, 3, 6, 22, 30), SLEEP),  # Friday night
        ((2026, 3, 7, 7, 59), SLEEP),  # Saturday before 08:00
        ((2026, 3, 7, 10, 0), OFF),  # Saturday 10:00
        ((2026, 3, 7, 14, 0), OFF),
        ((2026, 3, 7, 23, 0), SLEEP),  # sleep wins over the weekend
        ((2026, 3, 8, 12, 0), OFF),  # Sunday
        ((2026, 3, 8, 22, 0), SLEEP),
    ],
)
def test_interruption_boundaries_in_sao_paulo(fields, expected):
    at = local(SAO_PAULO, *fields)

    when, interruption = interruption_at(at.astimezone(UTC), "America/Sao_Paulo")

    assert interruption is expected
    assert when == at
    assert when.tzinfo == SAO_PAULO
    assert when.replace(tzinfo=None) == datetime(*fields)


def test_the_same_instant_interrupts_three_offices_differently():
    at = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # Monday noon UTC

    assert interruption_at(at, "America/Sao_Paulo") == (local(SAO_PAULO, 2026, 3, 2, 9), BUSINESS)
    assert interruption_at(at, "Europe/Lisbon") == (local(LISBON, 2026, 3, 2, 12), BUSINESS)
    assert interruption_at(at, "Asia/Singapore") == (local(SINGAPORE, 2026, 3, 2, 20), OFF)


def test_monday_morning_in_singapore_is_still_sunday_night_in_sao_paulo():
    at = local(SINGAPORE, 2026, 3, 2, 9)  # Monday 09:00 in Singapore: 22:00 Sunday in Sao Paulo

    assert category(at, SINGAPORE) is BUSINESS
    assert category(at, SAO_PAULO) is SLEEP
    assert category(at, LISBON) is SLEEP  # 01:00


def test_interruption_reads_the_local_clock_on_dst_change_days():
    # Lisbon springs forward at 01:00 on 2026-03-29 (a Sunday) and falls back at 02:00 on 10-25.
    assert interruption_at(datetime(2026, 3, 29, 7, 30, tzinfo=UTC), "Europe/Lisbon") == (
        local(LISBON, 2026, 3, 29, 8, 30),
        OFF,
    )
    assert category(datetime(2026, 10, 25, 7, 30, tzinfo=UTC), LISBON) is SLEEP  # 07:30 WET
    # New York: 2026-03-08 and 2026-11-01, both Sundays; 2026-11-02 is a Monday.
    assert category(datetime(2026, 3, 8, 12, 0, tzinfo=UTC), NEW_YORK) is OFF  # 08:00 EDT
    assert category(datetime(2026, 3, 8, 11, 59, tzinfo=UTC), NEW_YORK) is SLEEP  # 07:59 EDT
    assert category(datetime(2026, 11, 2, 12, 59, tzinfo=UTC), NEW_YORK) is SLEEP  # 07:59 EST
    assert category(datetime(2026, 11, 2, 13, 0, tzinfo=UTC), NEW_YORK) is BUSINESS  # 08:00 EST


def test_interruption_at_accepts_any_aware_datetime():
    at = datetime(2026, 3, 2, 8, 0, tzinfo=timezone(timedelta(hours=-3)))

    assert category(at, SAO_PAULO) is BUSINESS


# --- next_daytime: examples ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "fields", "expected"),
    [
        # Asleep before 08:00: the same morning.
        (SAO_PAULO, (2026, 3, 3, 3, 15), (2026, 3, 3, 8, 0)),
        (SAO_PAULO, (2026, 3, 3, 7, 59, 59), (2026, 3, 3, 8, 0)),
        # Asleep from 22:00: the next morning, weekend or not.
        (SAO_PAULO, (2026, 3, 2, 22, 0), (2026, 3, 3, 8, 0)),
        (LISBON, (2026, 3, 6, 23, 45), (2026, 3, 7, 8, 0)),
        (SINGAPORE, (2026, 12, 31, 22, 0), (2027, 1, 1, 8, 0)),
        # Lisbon on its DST-change nights: the night is 9 hours, then 11.
        (LISBON, (2026, 3, 28, 22, 0), (2026, 3, 29, 8, 0)),
        (LISBON, (2026, 10, 24, 22, 0), (2026, 10, 25, 8, 0)),
        # New York on its DST-change nights.
        (NEW_YORK, (2026, 3, 7, 22, 0), (2026, 3, 8, 8, 0)),
        (NEW_YORK, (2026, 3, 8, 2, 30), (2026, 3, 8, 8, 0)),  # 02:30 does not exist: 03:30
        (NEW_YORK, (2026, 10, 31, 22, 0), (2026, 11, 1, 8, 0)),
        (NEW_YORK, (2026, 11, 1, 1, 30), (2026, 11, 1, 8, 0)),
    ],
)
def test_next_daytime_waits_for_the_next_08_00_local(zone, fields, expected):
    at = local(zone, *fields)

    result = next_daytime(at, zone.key)

    assert result == local(zone, *expected)
    assert result.tzinfo is UTC


def test_next_daytime_across_dst_changes_counts_real_hours():
    def hours_of_night(zone, *fields):
        at = local(zone, *fields)
        return (next_daytime(at, zone.key) - at) / timedelta(hours=1)

    assert hours_of_night(LISBON, 2026, 3, 28, 22) == 9
    assert hours_of_night(LISBON, 2026, 10, 24, 22) == 11
    assert hours_of_night(NEW_YORK, 2026, 3, 7, 22) == 9
    assert hours_of_night(NEW_YORK, 2026, 10, 31, 22) == 11
    assert hours_of_night(SINGAPORE, 2026, 3, 7, 22) == 10  # no DST


def test_next_daytime_in_the_repeated_hour_after_a_fall_back():
    first = local(NEW_YORK, 2026, 11, 1, 1, 30, fold=0)
    second = local(NEW_YORK, 2026, 11, 1, 1, 30, fold=1)

    assert next_daytime(first, "America/New_York") == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)
    assert next_daytime(second, "America/New_York") == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)


def test_next_daytime_skips_a_local_day_that_never_happened():
    # Samoa crossed the date line: 2011-12-29 23:59:59 (-10) was followed by 12-31 00:00 (+14).
    at = local(APIA, 2011, 12, 29, 22, 0)

    result = next_daytime(at, "Pacific/Apia")

    assert result.astimezone(APIA).replace(tzinfo=None) == datetime(2011, 12, 31, 8, 0)
    assert result - at == timedelta(hours=10)


@pytest.mark.parametrize(
    "fields",
    [(2026, 3, 2, 8, 0), (2026, 3, 2, 17, 0), (2026, 3, 2, 21, 59, 59), (2026, 3, 7, 10, 0)],
)
def test_next_daytime_is_now_when_nobody_is_asleep(fields):
    at = local(SAO_PAULO, *fields)

    result = next_daytime(at, "America/Sao_Paulo")

    assert result == at
    assert result.tzinfo is UTC


# --- Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("function", [interruption_at, next_daytime])
def test_naive_datetimes_are_refused(function):
    with pytest.raises(ValueError, match="naive datetime"):
        function(datetime(2026, 3, 2, 12, 0), "Europe/Lisbon")


@pytest.mark.parametrize("function", [interruption_at, next_daytime])
@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../etc/passwd"])
def test_unknown_time_zones_are_refused(function, zone):
    with pytest.raises(ValueError, match="unknown time zone"):
        function(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), zone)


# --- Properties ---------------------------------------------------------------------------------

ZONES = [
    "America/Sao_Paulo",
    "Europe/Lisbon",
    "Asia/Singapore",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "UTC",
]

instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)


@PROPERTY
@given(at=instants, time_zone=st.sampled_from(ZONES))
def test_next_daytime_properties(at, time_zone):
    result = next_daytime(at, time_zone)
    asleep = interruption_at(at, time_zone)[1] is SLEEP

    assert result >= at
    assert interruption_at(result, time_zone)[1] is not SLEEP
    # A night is 10 hours of wall clock; a DST change can lengthen it by its shift (one hour).
    assert result - at <= timedelta(hours=11)
    if asleep:
        assert result > at
        assert interruption_at(result, time_zone)[0].time() == time(8)
    else:
        assert result == at


@PROPERTY
@given(at=instants, time_zone=st.sampled_from(ZONES))
def test_next_daytime_is_the_first_waking_instant(at, time_zone):
    result = next_daytime(at, time_zone)

    # Nobody is awake before the result: a second earlier is still sleep hours.
    if result > at:
        assert interruption_at(result - timedelta(seconds=1), time_zone)[1] is SLEEP


@PROPERTY
@given(at=instants, time_zone=st.sampled_from(ZONES))
def test_interruption_category_follows_the_local_clock(at, time_zone):
    when, interruption = interruption_at(at, time_zone)

    # Not `when == at`: across zones, == is always False in a repeated hour (PEP 495).
    assert when.astimezone(UTC) == at
    assert when.utcoffset() == at.astimezone(ZoneInfo(time_zone)).utcoffset()
    hour, weekend = when.hour, when.weekday() >= 5
    if hour >= 22 or hour < 8:
        assert interruption is SLEEP
    elif weekend or hour >= 18:
        assert interruption is OFF
    else:
        assert interruption is BUSINESS


def test_a_page_after_midnight_wakes_the_person_on_the_night_before():
    lisbon = "Europe/Lisbon"
    # 03:00 on Sunday 2026-10-25 in Lisbon, in the hour after the clocks went back.
    assert night_of(datetime(2026, 10, 25, 3, tzinfo=UTC), lisbon) == date(2026, 10, 24)
    assert night_of(datetime(2026, 10, 24, 21, 30, tzinfo=UTC), lisbon) == date(2026, 10, 24)
    assert night_of(datetime(2026, 10, 24, 12, tzinfo=UTC), lisbon) is None
    start, end = night_window(date(2026, 10, 24), lisbon)
    assert (end - start).total_seconds() == 11 * 3600  # the night the clocks go back
