"""A team admin plans a big event in a real browser: the form without a line of JS, the event
page with its checklist in words, the test page button; the events pages and the dashboard's
events pass axe-core and fit phone and desktop screens (the README's screenshots are saved)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents.models import Event, Incident
from oncall import clock
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


def create_event(page, live_server) -> Event:
    start = (clock.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    page.goto(f"{live_server.url}/events/")
    page.get_by_role("link", name="New event").click()
    page.get_by_label("Name", exact=True).fill("Champions final")
    end = start + timedelta(hours=4)
    page.get_by_label("Start", exact=True).fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("End", exact=True).fill(end.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("edge", exact=True).check()
    page.get_by_label("Secondary", exact=True).check()
    page.get_by_label("Trigger again if acknowledged").fill("5")
    page.get_by_role("button", name="Create event").click()
    return Event.objects.get(name="Champions final")


def test_an_admin_plans_an_event_and_sends_test_pages(browser, live_server, organisation):
    expect = playwright_api.expect
    page = log_in(browser, live_server, "admin")
    page.context.route("**/*.js", lambda route: route.abort())  # forms work without JS
    event = create_event(page, live_server)
    page.wait_for_url(f"{live_server.url}/events/{event.pk}/")
    expect(page.get_by_role("heading", name="Champions final")).to_be_visible()
    expect(page.get_by_role("heading", name="Readiness checklist: Not ready")).to_be_visible()
    expect(page.locator(".check").first).to_contain_text("Fail")
    page.get_by_role("button", name="Send everyone on call a test page").click()
    expect(page.locator(".messages")).to_contain_text("Sent a test page to")
    assert Incident.objects.filter(kind="test").exists()
    expect(page.get_by_role("cell", name="Not yet").first).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Champions final", exact=True)).to_be_visible()
    assert page.outside == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_events_pages_pass_axe_and_fit_the_screen(browser, live_server, organisation, width):
    page = log_in(browser, live_server, "admin", width)
    event = create_event(page, live_server)
    for where in ("/events/", "/events/new/", f"/events/{event.pk}/", "/"):
        page.goto(f"{live_server.url}{where}")
        if where == f"/events/{event.pk}/":
            shot = SHOTS / f"event-{WIDTHS[width][0]}.png"
            page.screenshot(path=str(shot), full_page=True)
        assert serious_violations(page) == [], where
        assert sideways(page) == [], where
    assert page.outside == []
