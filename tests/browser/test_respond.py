"""A responder's night, in a real browser: Playwright drives Debian's Chromium against a live
server. Log in, see who is on call, fire an alert through an integration and watch its incident
appear on the dashboard without a reload, open it, acknowledge, see the timeline, resolve; a
viewer sees no buttons; axe-core (bundled by axe-playwright-python, run in the page) finds no
serious or critical violation at phone and desktop widths; the README's screenshots are saved.

They run on whichever database the suite runs on: both fit its budget. What they share with the
other browser tests is in conftest.py.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from incidents.models import Incident, Service
from oncall import clock, selectors
from oncall.demo import PASSWORD
from oncall.models import Membership, Person, Schedule, Team
from tests.browser.conftest import (
    SHOTS,
    WIDTHS,
    alert,
    log_in,
    needs_chromium,
    playwright_api,
    serious_violations,
    sideways,
)

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


def test_a_responder_sees_an_alert_arrive_acknowledges_and_resolves_it(
    browser, live_server, organisation
):
    page = log_in(browser, live_server, "admin")
    schedule = Schedule.objects.get(name="Primary")
    primary = selectors.oncall_at(schedule=schedule, at=clock.now())
    expect = playwright_api.expect
    on_call_now = page.locator(f"#schedule-{schedule.pk} .roster__item--now")
    expect(on_call_now).to_contain_text(primary.display_name)

    alert(live_server, Service.objects.get(name="auth"), "Checkout is failing")
    incident = Incident.objects.get(title="Checkout is failing")
    row = page.locator("#open-incidents").get_by_role(
        "link", name=f"#{incident.number} Checkout is failing"
    )
    expect(row).to_be_visible(timeout=5000)  # the dashboard polls; no reload

    row.click()
    page.wait_for_url(f"{live_server.url}/incidents/{incident.number}/")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Triggered")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".messages")).to_contain_text(f"Acknowledged #{incident.number}")
    expect(page.locator(".facts")).to_contain_text("Acknowledged")
    acknowledged = page.locator(".timeline-row--acknowledged")
    expect(acknowledged).to_contain_text("Web")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".messages")).to_contain_text(f"Resolved #{incident.number}")
    expect(page.locator(".facts")).to_contain_text("Resolved")
    expect(page.get_by_role("button", name="Resolve")).to_have_count(0)
    assert page.outside == []  # nothing was fetched from anywhere but the server


def test_a_viewer_sees_no_buttons(browser, live_server, organisation):
    user = get_user_model().objects.create_user("night-viewer", password=PASSWORD)
    viewer = Person.objects.create(user=user, display_name="Night Viewer")
    Membership.objects.create(
        team=Team.objects.get(name="Platform SRE"), person=viewer, role="viewer"
    )
    alert(live_server, Service.objects.get(name="edge"), "Edge is slow")
    incident = Incident.objects.get(title="Edge is slow")
    page = log_in(browser, live_server, "night-viewer")
    page.goto(f"{live_server.url}/incidents/{incident.number}/")
    playwright_api.expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    for name in ("Acknowledge", "Resolve", "Escalate"):
        playwright_api.expect(page.get_by_role("button", name=name)).to_have_count(0)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_axe_finds_nothing_serious_and_nothing_scrolls_sideways(
    browser, live_server, organisation, width
):
    alert(live_server, Service.objects.get(name="cdn"), "Video buffers in Lisbon")
    incident = Incident.objects.get(title="Video buffers in Lisbon")
    page = log_in(browser, live_server, "admin", width)
    pixels = WIDTHS[width][0]
    for path, shot in [
        ("/", f"dashboard-{pixels}.png"),
        ("/incidents/", None),
        (f"/incidents/{incident.number}/", f"incident-{pixels}.png"),
    ]:
        page.goto(f"{live_server.url}{path}")
        assert serious_violations(page) == [], (path, width)
        assert not (found := sideways(page)), f"{path} {width}: {' '.join(found)}"
        if shot:
            page.screenshot(path=str(SHOTS / shot), full_page=width == "phone")
    assert page.outside == []
