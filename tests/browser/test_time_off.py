"""Time off in a real browser: a person adds it on their profile (on their own clock), sees it
listed with a Remove button, and removes it; axe-core finds nothing serious and nothing scrolls
sideways at phone width."""

from __future__ import annotations

import pytest

from oncall.models import TimeOff
from tests.browser.conftest import (
    log_in,
    needs_chromium,
    playwright_api,
    serious_violations,
    sideways,
)

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_person_adds_time_off_on_their_profile_and_sees_it_listed(
    browser, live_server, organisation, recorded, worker, width
):
    page = log_in(browser, live_server, "ines", width)  # Inês Carvalho, Europe/Lisbon
    page.goto(f"{live_server.url}/profile/")
    expect = playwright_api.expect
    section = page.locator("#time-off")
    expect(section.get_by_label("Public holidays")).to_have_value("")
    expect(section.get_by_label("Public holidays").locator("option:checked")).to_have_text(
        "From my time zone (Portugal)"
    )

    section.get_by_label("Start", exact=True).fill("2027-04-12T09:00")
    section.get_by_label("End", exact=True).fill("2027-04-16T18:00")
    section.get_by_label("Reason").fill("Easter with family")
    section.get_by_role("button", name="Add time off").click()

    expect(page.locator(".messages")).to_contain_text("Added your time off.")
    (time_off,) = TimeOff.objects.filter(person__user__username="ines")
    assert time_off.start.isoformat() == "2027-04-12T08:00:00+00:00"  # 09:00 in Lisbon (WEST)
    row = page.locator(f"#time-off-{time_off.pk}")
    expect(row).to_contain_text("Mon 12 Apr 2027 09:00")
    expect(row).to_contain_text("Easter with family")
    expect(row.get_by_role("button", name="Remove")).to_be_visible()
    assert serious_violations(page) == []
    assert sideways(page) == []

    row.get_by_role("button", name="Remove").click()
    expect(page.locator(".messages")).to_contain_text("Removed your time off.")
    expect(page.locator("#time-off")).to_contain_text("No time off to come.")
    assert not TimeOff.objects.filter(person__user__username="ines").exists()
    assert page.outside == []
