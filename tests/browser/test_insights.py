"""The insights page in a real browser: the demo's admin opens it from the navigation, narrows
it to a service, and reads the figures, charts and tables of a recent history; axe-core finds
nothing serious and nothing scrolls sideways at phone and desktop widths; the README's
screenshots are saved."""

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
from tests.incidents.insights_fixture import alerts_for, incident_at, page_to

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def recent(organisation):
    """Three weeks of incidents on the demo's services, each paging someone of the team."""
    team = Team.objects.get(name="Platform SRE")
    people = list(team.members.order_by("pk"))
    services = list(Service.objects.filter(team=team).order_by("name"))
    now = clock.now()
    for n in range(60):
        created = now - timedelta(hours=6 * n + 1)
        name = ["PlaybackErrorRateHigh", "EdgeLatencyHigh", "AuthTokenErrors"][n % 3]
        fields = {"status": "resolved", "resolved_at": created + timedelta(minutes=3 + n)}
        if n % 3:
            fields |= {
                "acknowledged_at": created + timedelta(seconds=30 + 20 * n),
                "ack_source": ["sms", "slack", "voice"][n % 3],
                "resolved_by": people[n % len(people)],
            }
        incident = incident_at(services[n % len(services)], created, name=name, **fields)
        alerts_for(incident, 1 + n % 3)
        page_to(incident, people[n % len(people)], created + timedelta(seconds=5))
    return team


def test_the_admin_reads_the_insights_of_a_service(browser, live_server, recent):
    expect = playwright_api.expect
    page = log_in(browser, live_server, "admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Insights", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="Pages by hour of day")).to_be_visible()
    expect(
        page.get_by_role("table", name="The alerts that opened the most incidents")
    ).to_contain_text("PlaybackErrorRateHigh")
    page.get_by_label("Service").select_option(label="playback")
    page.get_by_role("button", name="Show insights").click()
    expect(page.get_by_label("Service")).to_have_value(str(Service.objects.get(name="playback").pk))
    table = page.get_by_role("table", name="Incidents by week")
    expect(table).to_be_visible()
    assert sum(int(cell) for cell in table.locator("tbody td").all_inner_texts()) == 10
    assert page.outside == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_axe_finds_nothing_serious_on_insights_and_nothing_scrolls_sideways(
    browser, live_server, recent, width
):
    page = log_in(browser, live_server, "admin", width)
    page.goto(f"{live_server.url}/insights/?team={recent.pk}")
    assert serious_violations(page) == [], width
    assert not (found := sideways(page)), f"{width}: {' '.join(found)}"
    page.screenshot(
        path=str(SHOTS / f"insights-{WIDTHS[width][0]}.png"), full_page=width == "phone"
    )
    page.goto(f"{live_server.url}/insights/?tz=Nowhere/Atlantis")  # the error, shown in place
    assert serious_violations(page) == [], width
    assert not (found := sideways(page)), f"{width}: {' '.join(found)}"
