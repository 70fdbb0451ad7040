"""Writes: people (their login and on-call profile), created, changed and archived."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from oncall.calendars import is_known_calendar, supported_subdivisions
from oncall.models import ApiToken, CalendarFeed, Membership, Person, Team
from oncall.services._checks import KEEP, InUse, assign, listed
from oncall.services.feeds import calendar_feed_revoke
from oncall.services.teams import team_member_add
from oncall.tokens import api_token_revoke
from oncall.uses import person_uses, teams_left_without_admin
from oncall.validators import validate_locale


@transaction.atomic
def person_create(
    *,
    username: str,
    display_name: str,
    time_zone: str = "UTC",
    locale: str = "en",
    email: str = "",
    password: str | None = None,
    team: Team | None = None,
    role: str = Membership.Role.RESPONDER,
    holiday_country: str = "",
    holiday_subdivision: str = "",
) -> Person:
    """Create a user who can log in (when given a password) and their on-call profile, in
    `team` with `role` if given, validated whole."""
    User = get_user_model()
    user = User(username=username.strip(), email=email.strip())
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    person = Person(
        display_name=display_name.strip(),
        time_zone=time_zone,
        locale=locale,
        holiday_country=_upper(holiday_country),
        holiday_subdivision=_upper(holiday_subdivision),
    )
    _validate(user, person)
    _validate_calendar(person)
    user.save()
    person.user = user
    person.save()
    if team is not None:
        team_member_add(team=team, person=person, role=role)
    return person


def _validate(user, person: Person) -> None:
    """Check the user and the person together, so that every mistake is named at once."""
    errors = {}
    for instance, exclude in ((user, ["password"]), (person, ["user"])):
        try:
            instance.full_clean(exclude=exclude)
        except ValidationError as error:
            errors.update(error.message_dict)
    try:
        validate_locale(person.locale)
    except ValidationError as error:
        errors.setdefault("locale", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def person_update(
    *,
    person: Person,
    display_name=KEEP,
    email=KEEP,
    time_zone=KEEP,
    locale=KEEP,
    holiday_country=KEEP,
    holiday_subdivision=KEEP,
) -> Person:
    """Change a person's display name, e-mail, time zone, locale or holiday calendar (a country
    and subdivision the `holidays` package knows; a blank country: their time zone's)."""
    user = person.user
    user_changed = assign(user, email=_stripped(email))
    person_changed = assign(
        person,
        display_name=_stripped(display_name),
        time_zone=time_zone,
        locale=locale,
        holiday_country=_upper(holiday_country),
        holiday_subdivision=_upper(holiday_subdivision),
    )
    _validate(user, person)
    _validate_calendar(person)
    if user_changed:
        user.save(update_fields=user_changed)
    if person_changed:
        person.save(update_fields=person_changed)
    return person


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


def _validate_calendar(person: Person) -> None:
    """Refuse a holiday country or subdivision the `holidays` package does not know."""
    country, subdivision = person.holiday_country, person.holiday_subdivision
    if country and not is_known_calendar(country):
        raise ValidationError(
            {"holiday_country": f"{country} is not a country with a public holiday calendar."}
        )
    if subdivision and not country:
        raise ValidationError(
            {"holiday_subdivision": "Choose the country as well as its subdivision."}
        )
    if subdivision and not is_known_calendar(country, subdivision):
        known = ", ".join(supported_subdivisions(country)) or "none"
        raise ValidationError(
            {
                "holiday_subdivision": f"{subdivision} is not a subdivision of {country} "
                f"with its own holidays (those known: {known})."
            }
        )


@transaction.atomic
def person_archive(*, person: Person, now: datetime) -> Person:
    """Archive a person who has left: their login is deactivated, their API tokens and calendar
    links revoked, their memberships removed; their history stays. Refuse (InUse) while a
    layer, an override to come or an escalation policy still relies on them, or a team would be
    left without an admin, naming which."""
    uses = person_uses(person=person, now=now)
    orphaned = teams_left_without_admin(person=person)
    uses += [f"the team {team} as its only admin" for team in orphaned]
    if uses:
        raise InUse(f"{person} is still in {listed(uses)}; take them out of those first.")
    user = person.user
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        api_token_revoke(token=token, now=now)
    # Their own calendar and the schedule links they made: secrets only they hold.
    feeds = CalendarFeed.objects.filter(Q(person=person) | Q(created_by=user))
    for feed in feeds.filter(revoked_at__isnull=True):
        calendar_feed_revoke(feed=feed)
    for team in Team.objects.filter(manager=person):
        team.manager = None
        team.save(update_fields=["manager"])
    for membership in Membership.objects.filter(person=person):
        membership.delete()
    return person
