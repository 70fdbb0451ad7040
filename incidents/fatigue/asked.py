"""What a reader asks the fatigue figures for, checked: which team (by slug or id, among the
teams they may read) and which days (UTC dates, both included; the last 28 by default, at most
366). A bad or foreign value is a ValidationError naming its parameter; another team reads as
one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import ValidationError

from oncall.models import Team

DEFAULT_DAYS = 28
MAX_DAYS = 366
EARLIEST, LATEST = date(1970, 1, 1), date(9000, 1, 1)


@dataclass(frozen=True)
class Period:
    """The days asked (both included) and the instants they span, [start, end) in UTC."""

    since: date
    until: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, time(), UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.until + timedelta(days=1), time(), UTC)


def team_asked(*, team_ids, team: str | None) -> Team:
    """Return the team named by `team` (its slug or id) among `team_ids`; with none named, the
    reader's only team."""
    readable = Team.objects.filter(pk__in=list(team_ids))
    if not team:
        teams = list(readable.order_by("name", "pk")[:2])
        if len(teams) == 1:
            return teams[0]
        raise ValidationError({"team": "Name a team, by its slug or id."})
    found = readable.filter(slug=team).first()
    if found is None and team.isdigit() and len(team) <= 18:
        found = readable.filter(pk=int(team)).first()
    if found is None:
        raise ValidationError({"team": "No team you may read has this slug or id."})
    return found


def period_asked(since: date | None, until: date | None, *, today: date) -> Period:
    """Return the days asked: by default the 28 days up to `today`; at most 366 days."""
    for name, day in (("since", since), ("until", until)):
        if day is not None and not EARLIEST <= day < LATEST:
            raise ValidationError({name: "Give a day between 1970 and 8999."})
    until = until or today
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    if until < since:
        raise ValidationError({"until": "Give an until on or after since."})
    if (until - since).days + 1 > MAX_DAYS:
        raise ValidationError({"until": f"Ask for at most {MAX_DAYS} days at a time."})
    return Period(since, until)
