"""Render shifts as an RFC 5545 calendar that calendar apps can subscribe to."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from oncall.selectors import Shift


def shift_uid(schedule_id: int, shift: Shift) -> str:
    """Return a stable UID, so a re-fetched feed updates events instead of duplicating them."""
    return f"plantao-{schedule_id}-{shift.person.pk}-{shift.start:%Y%m%dT%H%M%SZ}@plantao"


def calendar_render(
    *, name: str, shifts: Iterable[tuple[int, str, Shift]], generated_at: datetime
) -> bytes:
    """Render (schedule id, schedule name, shift) triples as one calendar; gaps are left out."""
    calendar = Calendar()
    calendar.add("prodid", "-//Plantao//On-call shifts//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for schedule_id, schedule_name, shift in shifts:
        if shift.person is None:
            continue
        event = Event()
        event.add("uid", shift_uid(schedule_id, shift))
        event.add("dtstamp", generated_at)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", f"On call: {shift.person.display_name} ({schedule_name})")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
