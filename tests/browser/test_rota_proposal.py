"""A fair rota in a real browser: the demo's admin opens Secondary, follows "Propose a fair rota",
asks for one week with a short time limit, reads the fairness report and applies it; axe-core
finds nothing serious on the form and the report, and nothing scrolls sideways on a phone."""

from __future__ import annotations

import pytest

from incidents.proposals import services
from oncall import clock
from oncall.models import Override, Schedule
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


@pytest.fixture
def solver(monkeypatch, organisation):
    """Solve a proposal as soon as it is asked, in the live server's thread, as a worker would."""
    monkeypatch.setattr(
        services,
        "_queue",
        lambda pk: services.rota_proposal_solve(proposal_id=pk, now=clock.now()),
    )


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_admin_proposes_reads_and_applies_a_fair_rota(browser, live_server, solver, width):
    expect = playwright_api.expect
    secondary = Schedule.objects.get(name="Secondary")
    page = log_in(browser, live_server, "admin", width)
    page.goto(f"{live_server.url}/schedules/{secondary.pk}/")
    page.get_by_role("link", name="Propose a fair rota").click()
    expect(page.get_by_role("heading", name="Propose a fair rota", level=1)).to_be_visible()
    assert serious_violations(page) == [], width

    page.get_by_label("Weeks").fill("1")
    page.get_by_label("Time limit (seconds)").fill("1")
    page.get_by_role("button", name="Propose").click()
    expect(page.get_by_role("heading", name="Fair rota proposal", level=1)).to_be_visible()
    table = page.get_by_role("table", name="Hours per person: proposal / round-robin")
    expect(table).to_contain_text("Team mean")
    expect(page.get_by_role("heading", name="Rules held")).to_be_visible()
    assert serious_violations(page) == [], width
    assert not (found := sideways(page)), f"{width}: {' '.join(found)}"
    page.screenshot(
        path=str(SHOTS / f"rota-proposal-{WIDTHS[width][0]}.png"), full_page=width == "phone"
    )

    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Proposal applied:")).to_be_visible()
    assert Override.objects.filter(schedule=secondary).exists()
    assert page.outside == []
