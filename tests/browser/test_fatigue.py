"""The fatigue page in a real browser: a demo person opens it from the navigation and reads the
heatmap and the table of their team's recent weeks; axe-core finds nothing serious and nothing
scrolls sideways at phone and desktop widths; the README's screenshots are saved."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents.models import Service
from oncall import clock
from oncall.models import Team
from tests.browser.conftest import (
    SHOTS,
    WIDTHS,
    log_in,
    needs_chromium,
    playwright_api,
    serious_violations,
    sideways,
)
from tests.incidents.insights_fixture import incident_at, page_to

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]

HEATMAP = "Each person's fatigue score, week by week (weeks start on Monday, 00:00 UTC)"


@pytest.fixture
def recent(organisation):
    """Four weeks of pages to the demo team, one every 7 hours, so some land in sleep hours."""
    team = Team.objects.get(name="Platform SRE")
    people = list(team.members.order_by("pk"))
    services = list(Service.objects.filter(team=team).order_by("name"))
    now = clock.now()
    for n in range(96):
        created = now - timedelta(hours=7 * n + 1)
        incident = incident_at(services[n % len(services)], created, name="EdgeLatencyHigh")
        page_to(incident, people[n % 5], created + timedelta(seconds=5))
    return team


def test_a_demo_person_reads_their_teams_fatigue(browser, live_server, recent):
    expect = playwright_api.expect
    page = log_in(browser, live_server, "ines")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Fatigue").click()
    expect(page.get_by_role("heading", name="Fatigue", level=1)).to_be_visible()
    heatmap = page.get_by_role("table", name=HEATMAP)
    expect(heatmap).to_contain_text("Inês Carvalho")
    expect(heatmap.get_by_role("columnheader").first).to_have_text("Person")
    table = page.get_by_role("table", name="Each person's on-call hours, pages, incidents")
    expect(table).to_contain_text("Mean per person")
    expect(page.get_by_role("heading", name="How to read it")).to_be_visible()
    assert page.outside == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_axe_finds_nothing_serious_on_fatigue_and_nothing_scrolls_sideways(
    browser, live_server, recent, width
):
    page = log_in(browser, live_server, "ines", width)
    page.goto(f"{live_server.url}/fatigue/?team={recent.pk}")
    playwright_api.expect(page.get_by_role("table", name=HEATMAP)).to_be_visible()
    assert serious_violations(page) == [], width
    assert not (found := sideways(page)), f"{width}: {' '.join(found)}"
    page.screenshot(path=str(SHOTS / f"fatigue-{WIDTHS[width][0]}.png"), full_page=True)
    page.goto(f"{live_server.url}/fatigue/?since=2026-02-30")  # the error, shown in place
    assert serious_violations(page) == [], width
    assert not (found := sideways(page)), f"{width}: {' '.join(found)}"
