"""Asking for cover in a real browser, two people in two browser contexts: one asks for cover
for their next shift of Primary, the other takes it from /cover/; the override shows on the
schedule page and the notices went out through the recording channel. The cover pages pass
axe-core with nothing scrolling sideways at phone and desktop widths; the README's screenshots
of a request are saved.

What they share with the other browser tests is in conftest.py.
"""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from oncall import clock, selectors
from oncall.models import CoverRequest, Override, Person, Schedule
from tests.browser.conftest import (
    SHOTS,
    WIDTHS,
    log_in,
    needs_chromium,
    playwright_api,
    serious_violations,
    sideways,
)

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


def next_shift(schedule: Schedule):
    """Return the next shift of Primary starting after now, with someone on call."""
    now = clock.now()
    shifts = selectors.shifts_between(schedule=schedule, since=now, until=now + timedelta(days=7))
    return next(s for s in shifts if s.person is not None and s.start > now)


def phone_of(person: Person) -> str:
    return person.contact_methods.get(kind="sms").address


def week_of(schedule: Schedule, shift, person: Person) -> str:
    day = shift.start.astimezone(ZoneInfo(person.time_zone)).date()
    return f"/schedules/{schedule.pk}/?view=week&date={day.isoformat()}"


def test_one_person_asks_for_cover_another_takes_it_and_the_override_and_notices_follow(
    browser, live_server, organisation, recorded, worker
):
    expect = playwright_api.expect
    schedule = Schedule.objects.get(name="Primary")
    shift = next_shift(schedule)
    asker = shift.person
    taker = (
        Person.objects.filter(memberships__team=schedule.team, memberships__role="responder")
        .exclude(pk=asker.pk)
        .order_by("display_name")
        .first()
    )

    # The asker, in a browser context of their own, asks from their shift on the week view.
    asking = log_in(browser, live_server, asker.user.username)
    asking.goto(f"{live_server.url}{week_of(schedule, shift, asker)}")
    asking.get_by_role("link", name=re.compile("^Ask for cover")).first.click()
    expect(asking.get_by_role("heading", name="Ask for cover")).to_be_visible()
    expect(asking.get_by_label("Start", exact=True)).not_to_have_value("")
    asking.get_by_label("Note (optional)").fill("A wedding in Porto")
    asking.get_by_role("button", name="Ask for cover").click()
    expect(asking.locator(".messages")).to_contain_text("Cover requested")
    request = CoverRequest.objects.get()
    assert request.asker == asker and request.status == "open"
    expect(asking.get_by_role("button", name="Withdraw")).to_be_visible()
    expect(asking.get_by_role("button", name="Take this shift")).to_have_count(0)

    # The teammate, in another context, finds it on /cover/ and takes it.
    taking = log_in(browser, live_server, taker.user.username)
    assert taking.context != asking.context
    taking.get_by_role("link", name="Cover", exact=True).click()
    taking.get_by_role("link", name=f"{asker.display_name} asks for cover on Primary").click()
    expect(taking.get_by_text("A wedding in Porto")).to_be_visible()
    taking.get_by_role("button", name="Take this shift").click()
    expect(taking.locator(".messages")).to_contain_text("You took the shift")
    expect(taking.locator(".cover-facts")).to_contain_text(f"Taken by {taker.display_name}")

    # The asker sees it taken, and the override on the schedule page.
    asking.reload()
    expect(asking.get_by_role("button", name="Withdraw")).to_have_count(0)
    asking.goto(f"{live_server.url}{week_of(schedule, shift, asker)}")
    expect(asking.locator(".plan-overrides")).to_contain_text(taker.display_name)
    (override,) = Override.objects.filter(schedule=schedule)
    assert (override.person, override.end) == (taker, request.end)

    sent = recorded()
    to_taker = [s["body"] for s in sent if s["address"] == phone_of(taker)]
    to_asker = [s["body"] for s in sent if s["address"] == phone_of(asker)]
    assert any(f"{asker.display_name} asks for cover on Primary" in b for b in to_taker)
    assert any(f"{taker.display_name} takes your Primary shift" in b for b in to_asker)
    assert any("you are on call for Primary for" in b for b in to_taker)
    assert asking.outside == [] and taking.outside == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_cover_pages_pass_axe_and_nothing_scrolls_sideways(
    browser, live_server, organisation, recorded, width
):
    from oncall.services import cover_request_create

    schedule = Schedule.objects.get(name="Primary")
    shift = next_shift(schedule)
    request = cover_request_create(
        schedule=schedule,
        asker=shift.person,
        start=shift.start,
        end=shift.end,
        note="A wedding in Porto",
    )
    pixels = WIDTHS[width][0]
    page = log_in(browser, live_server, shift.person.user.username, width)
    for path, shot in [
        ("/cover/", None),
        (f"/cover/{request.pk}/", f"cover-request-{pixels}.png"),
        (f"/schedules/{schedule.pk}/cover/", None),
        (week_of(schedule, shift, shift.person), None),
    ]:
        page.goto(f"{live_server.url}{path}")
        assert serious_violations(page) == [], (path, width)
        assert not (found := sideways(page)), f"{path} {width}: {' '.join(found)}"
        if shot:
            page.screenshot(path=str(SHOTS / shot), full_page=width == "phone")
    assert page.outside == []
