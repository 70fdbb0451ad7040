"""Public holidays: whose calendar a person keeps, and its dates.

No Django here. The dates come from the `holidays` package; a person's country defaults to the
country of their time zone (tzdata's zone.tab), so most people never set it.
"""

from datetime import date
from functools import cache
from importlib import resources

import holidays


@cache
def _zone_countries() -> dict[str, str]:
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    countries = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            country, _coordinates, zone, *_comment = line.split("\t")
            countries[zone] = country
    return countries


def country_for_zone(time_zone: str) -> str:
    """Return the ISO 3166 country of a time zone, or "" for UTC and the like."""
    return _zone_countries().get(time_zone, "")


def is_known_calendar(country: str, subdivision: str = "") -> bool:
    """Say whether the `holidays` package has this country (and subdivision)."""
    supported = holidays.list_supported_countries()
    if country not in supported:
        return False
    return not subdivision or subdivision in supported[country]


def calendar_for(*, country: str, subdivision: str, time_zone: str) -> tuple[str, str]:
    """Return the (country, subdivision) whose holidays apply: the chosen one, else the zone's."""
    if country:
        return country, subdivision
    return country_for_zone(time_zone), ""


@cache
def _dates(country: str, subdivision: str, year: int) -> dict[date, str]:
    if not country or not is_known_calendar(country, subdivision):
        return {}
    found = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return dict(found.items())


def holiday_dates(country: str, subdivision: str, since: date, until: date) -> dict[date, str]:
    """Return the public holidays in [since, until], as date -> name ({} for no calendar)."""
    found = {}
    for year in range(since.year, until.year + 1):
        for day, name in _dates(country, subdivision, year).items():
            if since <= day <= until:
                found[day] = name
    return dict(sorted(found.items()))


_SMALL_WORDS = {"and", "of", "the", "da", "del"}


@cache
def country_names() -> dict[str, str]:
    """Return {ISO 3166 alpha-2 code: English name} of every country the `holidays` package
    has a calendar for, sorted by name."""
    from holidays.registry import COUNTRIES

    supported = holidays.list_supported_countries()
    names = {}
    for module, (_class, code, *_rest) in COUNTRIES.items():
        if code in supported:
            words = module.split("_")
            names[code] = " ".join(
                word if i and word in _SMALL_WORDS else word.capitalize()
                for i, word in enumerate(words)
            )
    return dict(sorted(names.items(), key=lambda item: item[1]))


def supported_subdivisions(country: str) -> list[str]:
    """Return the subdivision codes of `country` with holidays of their own ([] if none)."""
    return list(holidays.list_supported_countries().get(country, ()))
