"""What a reader asks the insights for, checked: whose (team, service, person, among the teams
they may read) and when (a period of at most 366 days) in which time zone. A bad or foreign
value is a ValidationError naming its field; another team's object reads as one that does not
exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError

from incidents.insights.queries import Scope
from incidents.models import Service
from oncall.models import Membership, Person, Team

DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(frozen=True)
class Asked:
    scope: Scope
    teams: list[Team]
    service: Service | None
    person: Person | None


def teams_readable(*, user) -> list[int]:
    """Return the ids of the teams whose insights `user` may read on the web: every team for a
    superuser, else those their person belongs to, in any role."""
    if user is None or not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(Team.objects.values_list("pk", flat=True))
    person = getattr(user, "person", None)
    if person is None:
        return []
    return list(Membership.objects.filter(person=person).values_list("team_id", flat=True))


def scope_asked(
    *, team_ids, team: int | None = None, service: int | None = None, person: int | None = None
) -> Asked:
    """Return the scope asked for among `team_ids`: a team, a service, a person (the incidents
    that paged them), or all of those teams."""
    teams = list(Team.objects.filter(pk__in=team_ids).order_by("name", "pk"))
    if team is not None:
        teams = [t for t in teams if t.pk == team]
        if not teams:
            raise ValidationError({"team": "No team you may read has this id."})
    services = Service.objects.filter(team__in=teams)
    chosen = None
    if service is not None:
        chosen = services.filter(pk=service).select_related("team").first()
        if chosen is None:
            raise ValidationError({"service": "No service you may read has this id."})
        services = services.filter(pk=service)
    who = None
    if person is not None:
        who = Person.objects.filter(pk=person, memberships__team__in=teams).distinct().first()
        if who is None:
            raise ValidationError({"person": "No person of a team you may read has this id."})
    ids = tuple(services.values_list("pk", flat=True))
    return Asked(Scope(ids, who.pk if who else None), teams, chosen, who)


def zone_asked(name: str | None, *, person: Person | None) -> tzinfo:
    """Return the zone named, else `person`'s (their profile's), else UTC."""
    if not name:
        return ZoneInfo(person.time_zone) if person is not None else UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(
            {"tz": "Give a time zone by its name, for example Europe/Lisbon."}
        ) from error


def period_asked(
    since: datetime | None, until: datetime | None, *, now: datetime
) -> tuple[datetime, datetime]:
    """Return [since, until): by default the 30 days up to now; at most 366 days."""
    until = until or now
    since = since or until - timedelta(days=DEFAULT_DAYS)
    if until <= since:
        raise ValidationError({"until": "Give an until after since."})
    if until - since > timedelta(days=MAX_DAYS):
        raise ValidationError({"until": f"Ask for at most {MAX_DAYS} days at a time."})
    return since, until
