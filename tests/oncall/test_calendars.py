"""Whose public holidays a person keeps (oncall/calendars.py)."""

from datetime import date

from oncall.calendars import calendar_for, country_for_zone, holiday_dates, is_known_calendar


def test_the_country_comes_from_the_time_zone_unless_chosen():
    assert country_for_zone("America/Sao_Paulo") == "BR"
    assert country_for_zone("UTC") == ""
    assert calendar_for(country="", subdivision="", time_zone="Europe/Lisbon") == ("PT", "")
    assert calendar_for(country="BR", subdivision="SP", time_zone="Europe/Lisbon") == ("BR", "SP")


def test_a_subdivision_adds_its_own_holidays():
    national = holiday_dates("BR", "", date(2026, 7, 1), date(2026, 7, 31))
    sao_paulo = holiday_dates("BR", "SP", date(2026, 7, 1), date(2026, 7, 31))
    assert date(2026, 7, 9) in sao_paulo and date(2026, 7, 9) not in national


def test_no_calendar_means_no_holidays():
    assert holiday_dates("", "", date(2026, 1, 1), date(2026, 12, 31)) == {}
    assert not is_known_calendar("XX")
    assert not is_known_calendar("PT", "ZZ")
    assert holiday_dates("XX", "", date(2026, 1, 1), date(2026, 12, 31)) == {}
