"""Writes: people, teams, schedules, overrides and calendar feeds, validated whole or not at all."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from oncall import clock, selectors
from oncall.models import (
    CalendarFeed,
    ContactMethod,
    Layer,
    LayerMember,
    LayerRestriction,
    Membership,
    NotificationRule,
    Override,
    Person,
    Schedule,
    Team,
)
from oncall.models.feeds import token_digest
from oncall.verification import verification_request


def _require_aware(**instants: datetime | None) -> None:
    naive = [
        name for name, value in instants.items() if value is not None and value.utcoffset() is None
    ]
    if naive:
        raise ValidationError(
            {name: "Give a time zone (for example 2026-03-29T09:00:00+01:00)." for name in naive}
        )


@transaction.atomic
def person_create(
    *,
    username: str,
    display_name: str,
    time_zone: str = "UTC",
    locale: str = "en",
    email: str = "",
    password: str | None = None,
) -> Person:
    """Create a user who can log in (when given a password) and their on-call profile."""
    User = get_user_model()
    user = User(username=username, email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    person = Person(user=user, display_name=display_name, time_zone=time_zone, locale=locale)
    person.full_clean()
    person.save()
    return person


def team_member_set(
    *, team: Team, person: Person, role: str = Membership.Role.RESPONDER
) -> Membership:
    """Make `person` a member of `team` with `role`, or change their role."""
    membership, _ = Membership.objects.update_or_create(
        team=team, person=person, defaults={"role": role}
    )
    return membership


def contact_method_create(
    *, person: Person, kind: str, address: str, label: str = "", verified: bool = False
) -> ContactMethod:
    """Add a way to reach `person`; unverified methods are never used for pages, so a new phone
    number is texted a code (once this transaction commits) to prove it reaches them."""
    method = ContactMethod(
        person=person,
        kind=kind,
        address=address.strip(),
        label=label,
        verified_at=clock.now() if verified else None,
    )
    method.full_clean()
    method.save()
    if method.kind == ContactMethod.Kind.SMS:
        verification_request(method=method)
    return method


def notification_rule_create(
    *,
    contact_method: ContactMethod,
    delay_minutes: int,
    urgency: str = NotificationRule.Urgency.HIGH,
) -> NotificationRule:
    """Reach the owner of `contact_method` `delay_minutes` after they are paged."""
    rule = NotificationRule(
        person=contact_method.person,
        contact_method=contact_method,
        delay_minutes=delay_minutes,
        urgency=urgency,
    )
    rule.full_clean()
    rule.save()
    return rule


@dataclass(frozen=True)
class RestrictionSpec:
    kind: str
    start_time: time
    duration: timedelta
    start_weekday: int = 0


@transaction.atomic
def layer_create(
    *,
    schedule: Schedule,
    name: str,
    participants: Sequence[Person],
    turn_unit: str,
    turn_count: int,
    handoff: datetime,
    time_zone: str,
    restrictions: Sequence[RestrictionSpec] = (),
    position: int | None = None,
    active_from: datetime | None = None,
    active_until: datetime | None = None,
) -> Layer:
    """Add a rotation on top of `schedule`'s layers (or at `position`), validated whole."""
    _require_aware(handoff=handoff, active_from=active_from, active_until=active_until)
    if not participants:
        raise ValidationError({"participants": "A layer needs at least one participant."})
    if position is None:
        position = 1 + max(schedule.layers.values_list("position", flat=True), default=-1)
    layer = Layer(
        schedule=schedule,
        name=name,
        position=position,
        turn_unit=turn_unit,
        turn_count=turn_count,
        handoff=handoff,
        time_zone=time_zone,
        active_from=active_from,
        active_until=active_until,
    )
    layer.full_clean()
    try:
        selectors.rota_layer(
            layer, participants=[p.pk for p in participants], restrictions=restrictions
        )
    except ValueError as error:  # RotaError, or an unknown restriction kind
        raise ValidationError({"restrictions": str(error)}) from error
    layer.save()
    LayerMember.objects.bulk_create(
        LayerMember(layer=layer, person=person, position=index)
        for index, person in enumerate(participants)
    )
    LayerRestriction.objects.bulk_create(
        LayerRestriction(
            layer=layer,
            kind=r.kind,
            start_weekday=r.start_weekday,
            start_time=r.start_time,
            duration=r.duration,
        )
        for r in restrictions
    )
    return layer


def override_create(
    *,
    schedule: Schedule,
    person: Person,
    start: datetime,
    end: datetime,
    reason: str = "",
    created_by=None,
) -> Override:
    """Put `person` on call for `schedule` from `start` to `end`, over every layer."""
    _require_aware(start=start, end=end)
    override = Override(
        schedule=schedule,
        person=person,
        start=start,
        end=end,
        reason=reason,
        created_by=created_by,
    )
    override.full_clean()
    override.save()
    return override


def calendar_feed_create(
    *, schedule: Schedule | None = None, person: Person | None = None, created_by=None
) -> tuple[CalendarFeed, str]:
    """Create a secret iCal link for a schedule or a person; return it with its token, once."""
    if (schedule is None) == (person is None):
        raise ValidationError("A calendar feed is for one schedule or one person.")
    token = secrets.token_urlsafe(24)
    feed = CalendarFeed.objects.create(
        token_digest=token_digest(token),
        hint=token[:6],
        schedule=schedule,
        person=person,
        created_by=created_by,
    )
    return feed, token


def calendar_feed_revoke(*, feed: CalendarFeed) -> CalendarFeed:
    """Stop a calendar link from working, for good."""
    if feed.revoked_at is None:
        feed.revoked_at = clock.now()
        feed.save(update_fields=["revoked_at"])
    return feed


def calendar_feed_use(*, token: str) -> CalendarFeed | None:
    """Return the live feed behind `token` and note its use, or None if unknown or revoked."""
    feed = (
        CalendarFeed.objects.select_related("schedule", "person")
        .filter(token_digest=token_digest(token), revoked_at__isnull=True)
        .first()
    )
    if feed is not None:
        now = clock.now()
        # Calendar apps poll often; one write an hour is plenty to show a link is in use.
        if feed.last_used_at is None or now - feed.last_used_at > timedelta(hours=1):
            CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed
