"""The load of time on call, read on the person's own wall clock (oncall/load.py)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncall.load import Load, load_of

LISBON = "Europe/Lisbon"


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_the_night_the_clocks_go_back_is_eleven_hours_long():
    # Lisbon leaves summer time on Sunday 2026-10-25 at 02:00 (back to 01:00).
    night = load_of([(utc(2026, 10, 24, 21), utc(2026, 10, 25, 8))], time_zone=LISBON)
    assert night == Load(hours=11, night=11, weekend=11, holiday=0)


def test_the_night_the_clocks_go_forward_is_nine_hours_long():
    # Lisbon enters summer time on Sunday 2026-03-29 at 01:00 (on to 02:00).
    night = load_of([(utc(2026, 3, 28, 22), utc(2026, 3, 29, 7))], time_zone=LISBON)
    assert night == Load(hours=9, night=9, weekend=9, holiday=0)


def test_a_holiday_is_the_whole_local_date():
    # 2026-12-25 in São Paulo (UTC-3) runs from 03:00 UTC to 03:00 UTC the next day; the shift
    # runs from 21:00 local on the 24th to 09:00 local on Saturday the 26th.
    day = load_of(
        [(utc(2026, 12, 25, 0), utc(2026, 12, 26, 12))],
        time_zone="America/Sao_Paulo",
        holidays={date(2026, 12, 25)},
    )
    assert day.hours == 36
    assert day.holiday == 24
    assert day.weekend == 9  # Saturday 00:00-09:00
    assert day.night == 10 + 10  # 22:00-08:00 twice


def test_a_naive_interval_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        load_of([(datetime(2026, 1, 1), datetime(2026, 1, 2))], time_zone=LISBON)


@given(
    start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    length=st.integers(min_value=0, max_value=24 * 30 * 60),
    cut=st.floats(min_value=0, max_value=1),
    zone=st.sampled_from(["Europe/Lisbon", "America/Sao_Paulo", "Asia/Singapore", "Pacific/Apia"]),
)
def test_classes_never_exceed_the_hours_and_splitting_changes_nothing(start, length, cut, zone):
    start = start.replace(tzinfo=UTC)
    end = start + timedelta(minutes=length)
    middle = start + timedelta(minutes=int(length * cut))
    whole = load_of([(start, end)], time_zone=zone)
    split = load_of([(start, middle), (middle, end)], time_zone=zone)
    assert whole.hours == pytest.approx(length / 60)
    for part in (whole.night, whole.weekend, whole.holiday):
        assert 0 <= part <= whole.hours + 1e-9
    assert split.hours == pytest.approx(whole.hours)
    assert split.night == pytest.approx(whole.night)
    assert split.weekend == pytest.approx(whole.weekend)
