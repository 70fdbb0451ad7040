"""How a postmortem shows an instant: the reader's zone with its offset, and UTC."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from incidents.postmortem_times import duration, local_and_utc


def test_the_same_wall_clock_hour_twice_in_lisbon_is_told_apart_by_its_offset():
    before = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    after = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert local_and_utc(before, "Europe/Lisbon") == (
        "2026-10-25 01:30:00 WEST (+01:00)",
        "2026-10-25 00:30:00 UTC",
    )
    assert local_and_utc(after, ZoneInfo("Europe/Lisbon")) == (
        "2026-10-25 01:30:00 WET (+00:00)",
        "2026-10-25 01:30:00 UTC",
    )


def test_zones_with_numeric_abbreviations_and_half_hours_show_the_offset_once():
    at = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert local_and_utc(at, "America/Sao_Paulo")[0] == "2026-10-24 21:30:00 (-03:00)"
    assert local_and_utc(at, "Asia/Kolkata")[0] == "2026-10-25 06:00:00 IST (+05:30)"


def test_a_naive_instant_is_refused():
    with pytest.raises(ValueError):
        local_and_utc(datetime(2026, 10, 25, 1, 30), "Europe/Lisbon")


def test_durations_read_as_people_say_them():
    assert duration(None) == ""
    assert duration(timedelta(seconds=42)) == "42 s"
    assert duration(timedelta(minutes=7)) == "7 min"
    assert duration(timedelta(minutes=7, seconds=5)) == "7 min 5 s"
    assert duration(timedelta(hours=2, minutes=3, seconds=9)) == "2 h 3 min"
