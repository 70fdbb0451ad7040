"""Planning the rota in a real browser: the demo admin opens Primary's page from the dashboard,
picks the shift going on now, has another member cover it, and sees the dashboard's on-call
person change; the schedule pages pass axe-core with nothing scrolling sideways at phone and
desktop widths; the README's week-view screenshots are saved.

What they share with the other browser tests is in conftest.py.
"""

from __future__ import annotations

import re

import pytest

from oncall import clock, selectors
from oncall.models import Override, Person, Schedule
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


def test_covering_the_current_shift_changes_who_the_dashboard_says_is_on_call(
    browser, live_server, organisation
):
    expect = playwright_api.expect
    schedule = Schedule.objects.get(name="Primary")
    on_call = selectors.oncall_at(schedule=schedule, at=clock.now())
    cover = (
        Person.objects.filter(memberships__team=schedule.team)
        .exclude(pk=on_call.pk)
        .exclude(user__username="admin")
        .order_by("display_name")
        .first()
    )
    page = log_in(browser, live_server, "admin")
    on_call_now = page.locator(f"#schedule-{schedule.pk} .roster__item--now")
    expect(on_call_now).to_contain_text(on_call.display_name)

    page.locator(f"#schedule-{schedule.pk}").get_by_role("link", name="Primary").click()
    page.wait_for_url(re.compile(rf"/schedules/{schedule.pk}/"))
    expect(page.get_by_role("heading", name="Final schedule")).to_be_visible()
    current = page.locator("tr", has=page.locator(".badge", has_text="now"))
    expect(current).to_contain_text(on_call.display_name)
    current.get_by_role("link", name=re.compile("^Cover this shift")).click()
    expect(page.get_by_label("Start")).not_to_have_value("")
    page.get_by_label("Person").select_option(label=cover.display_name)
    page.get_by_role("button", name="Create override").click()
    expect(page.locator(".messages")).to_contain_text(
        f"Override created: {cover.display_name} is on call"
    )
    expect(page.locator(".plan-overrides")).to_contain_text(cover.display_name)
    override = Override.objects.get()
    assert override.start <= clock.now() < override.end

    page.get_by_role("link", name="On call", exact=True).click()
    expect(on_call_now).to_contain_text(cover.display_name)
    assert page.outside == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_schedule_pages_pass_axe_and_nothing_scrolls_sideways(
    browser, live_server, organisation, width
):
    schedule = Schedule.objects.get(name="Primary")
    page = log_in(browser, live_server, "admin", width)
    pixels = WIDTHS[width][0]
    for path, shot in [
        ("/schedules/", None),
        (f"/schedules/{schedule.pk}/", f"schedule-week-{pixels}.png"),
        (f"/schedules/{schedule.pk}/?view=day", None),
        (f"/schedules/{schedule.pk}/?view=month", None),
    ]:
        page.goto(f"{live_server.url}{path}")
        assert serious_violations(page) == [], (path, width)
        assert not (found := sideways(page)), f"{path} {width}: {' '.join(found)}"
        if shot:
            page.screenshot(path=str(SHOTS / shot), full_page=width == "phone")
    assert page.outside == []
