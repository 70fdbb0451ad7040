"""The iCal feeds: secret links that calendar apps parse back to the same shifts."""

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from oncall import selectors, services
from oncall.demo import demo_load
from oncall.models import CalendarFeed, Person, Schedule

NOW = datetime(2027, 3, 24, 12, tzinfo=UTC)  # the week Lisbon changes to summer time


@pytest.fixture
def demo(db, frozen_now):
    frozen_now(NOW)
    return demo_load()


def events(response) -> list[tuple[datetime, datetime, str]]:
    calendar = icalendar.Calendar.from_ical(response.content)
    return [
        (e.decoded("dtstart"), e.decoded("dtend"), str(e.get("summary")))
        for e in calendar.walk("VEVENT")
    ]


def test_schedule_feed_parses_back_to_the_same_shifts(client, demo):
    schedule = Schedule.objects.get(name="Primary")
    _, token = services.calendar_feed_create(schedule=schedule)
    response = client.get(f"/ical/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    shifts = selectors.shifts_between(
        schedule=schedule, since=NOW - timedelta(days=30), until=NOW + timedelta(days=180)
    )
    assert events(response) == [
        (s.start, s.end, f"On call: {s.person.display_name} (Primary)") for s in shifts if s.person
    ]
    calendar = icalendar.Calendar.from_ical(response.content)
    uids = [str(e["uid"]) for e in calendar.walk("VEVENT")]
    assert len(uids) == len(set(uids))


def test_person_feed_holds_only_their_shifts_across_schedules(client, demo):
    ines = Person.objects.get(user__username="ines")
    _, token = services.calendar_feed_create(person=ines)
    found = events(client.get(f"/ical/{token}.ics"))
    assert found
    assert all(summary.startswith("On call: Inês Carvalho (") for _, _, summary in found)
    assert {summary for _, _, summary in found} == {
        "On call: Inês Carvalho (Primary)",
        "On call: Inês Carvalho (Secondary)",
    }
    expected = [
        (s.start, s.end)
        for _, s in selectors.person_shifts_between(
            person=ines, since=NOW - timedelta(days=30), until=NOW + timedelta(days=180)
        )
    ]
    assert [(start, end) for start, end, _ in found] == expected


def test_the_token_is_not_stored_and_a_revoked_link_stops_working(client, demo):
    feed, token = services.calendar_feed_create(schedule=Schedule.objects.get(name="Secondary"))
    assert token not in feed.token_digest
    assert not CalendarFeed.objects.filter(token_digest=token).exists()
    assert client.get(f"/ical/{token}.ics").status_code == 200
    services.calendar_feed_revoke(feed=feed)
    assert client.get(f"/ical/{token}.ics").status_code == 404


def test_unknown_token_is_not_found(client, demo):
    assert client.get("/ical/not-a-real-token.ics").status_code == 404


def test_feed_records_when_it_was_last_used(client, demo):
    feed, token = services.calendar_feed_create(schedule=Schedule.objects.get(name="Primary"))
    client.get(f"/ical/{token}.ics")
    feed.refresh_from_db()
    assert feed.last_used_at == NOW
