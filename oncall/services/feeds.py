"""Writes: secret calendar (iCal) links for a schedule or a person."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError

from oncall import clock
from oncall.audit import audit_action
from oncall.models import CalendarFeed, Person, Schedule
from oncall.models.feeds import token_digest


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
        with audit_action("revoke"):
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
