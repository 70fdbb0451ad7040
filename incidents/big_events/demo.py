"""The demo's big event: the Champions final, next Saturday 19:00 to 23:30 in Lisbon, so the
events page and the dashboard have something to show. Loaded by `manage.py demo` only (the
tests' demo fixture leaves the calendar empty, so no test pages extra people by surprise)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from incidents.models import Event, Service
from oncall.models import Schedule, Team

NAME = "Champions final"
LISBON = ZoneInfo("Europe/Lisbon")
SATURDAY = 5
KICK_OFF, FINAL_WHISTLE = time(19), time(23, 30)
SERVICES = ("edge", "cdn", "playback")
SECOND_PRIMARY = "Secondary"  # its on-call stands by as a second primary during the final
ACK_TIMEOUT_MINUTES = 5


def next_saturday_evening(now: datetime) -> tuple[datetime, datetime]:
    """Return the next Saturday's 19:00 and 23:30 in Lisbon (today's, if it is Saturday and
    not yet over)."""
    local = now.astimezone(LISBON)
    day = local.date() + timedelta(days=(SATURDAY - local.weekday()) % 7)
    end = datetime.combine(day, FINAL_WHISTLE, tzinfo=LISBON)
    if end <= now:
        day += timedelta(days=7)
        end = datetime.combine(day, FINAL_WHISTLE, tzinfo=LISBON)
    return datetime.combine(day, KICK_OFF, tzinfo=LISBON), end


@transaction.atomic
def demo_event_load(*, team: Team, now: datetime) -> Event:
    """Put the final on the team's calendar, or move it to the next Saturday: one row always."""
    starts_at, ends_at = next_saturday_evening(now)
    event, _ = Event.objects.update_or_create(
        team=team,
        name=NAME,
        defaults={
            "description": "The final streams to millions: a second primary stands by, and an "
            "acknowledged incident pages again after 5 minutes.",
            "starts_at": starts_at,
            "ends_at": ends_at,
            "ack_timeout_minutes": ACK_TIMEOUT_MINUTES,
            "created_at": now,
        },
    )
    event.services.set(Service.objects.filter(team=team, name__in=SERVICES))
    event.extra_schedules.set(Schedule.objects.filter(team=team, name=SECOND_PRIMARY))
    return event
