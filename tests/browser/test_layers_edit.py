"""Editing a layer in a real browser: the demo admin opens Primary's page, edits its Lisbon
layer, adds Helena Duarte and moves her to the turn running this week, presses Preview (an htmx
swap) and sees the final schedule with her in it while nothing is saved, then saves and sees
the schedule page put her on call. The edit page passes axe-core with nothing scrolling sideways
at phone and desktop widths; the README's screenshot of it is saved.

What they share with the other browser tests is in conftest.py.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from oncall import clock, rota, selectors
from oncall.models import Person, Schedule
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


def this_weeks_turn(layer, size: int) -> int:
    """Return which of `size` members takes the layer's turn at its next shift (now, or when its
    daily window next opens: early on a handoff day the turn running now has no hour left)."""
    now = clock.now()
    windows = rota.layer_shifts(selectors.schedule_rota_layer(layer), now, now + timedelta(days=14))
    pure = rota.Layer(
        participants=tuple(range(size)),
        turn_unit=rota.TurnUnit(layer.turn_unit),
        turn_count=layer.turn_count,
        handoff=layer.handoff,
        time_zone=layer.time_zone,
    )
    return rota.layer_on_call_at(pure, max(now, windows[0].start) if windows else now)


def test_adding_a_member_changes_the_preview_then_the_saved_schedule(
    browser, live_server, organisation
):
    expect = playwright_api.expect
    schedule = Schedule.objects.get(name="Primary")
    lisbon = schedule.layers.get(name="Lisbon")
    members = lisbon.members.count()
    helena = Person.objects.get(display_name="Helena Duarte")
    version = schedule.version
    turn = this_weeks_turn(lisbon, members + 1)

    page = log_in(browser, live_server, "admin")
    page.goto(f"{live_server.url}/schedules/{schedule.pk}/")
    page.get_by_role("link", name="Edit layer Lisbon").click()
    page.wait_for_url(re.compile(rf"/schedules/{schedule.pk}/layers/{lisbon.pk}/"))
    expect(page.get_by_role("heading", name="Edit layer: Lisbon")).to_be_visible()

    page.get_by_label("Add a member of Platform SRE").select_option(label=helena.display_name)
    page.get_by_role("button", name="Add member").click()
    members_list = page.locator(".layer-members__name")
    expect(members_list).to_have_count(members + 1)
    expect(members_list.last).to_have_text(helena.display_name)
    for _ in range(members - turn):  # up to the turn running this week
        page.get_by_role("button", name="Move up Helena Duarte").click()
    expect(members_list.nth(turn)).to_have_text(helena.display_name)

    page.get_by_role("button", name="Preview", exact=True).click()  # swapped in by htmx
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Final schedule with your changes")
    expect(preview.locator(".layer-preview__changes")).to_contain_text(helena.display_name)
    expect(preview.locator(".layer-preview__status")).to_contain_text("changes as shown")
    expect(members_list.nth(turn)).to_have_text(helena.display_name)  # the draft is kept
    schedule.refresh_from_db()
    assert schedule.version == version  # the preview saved nothing
    assert lisbon.members.count() == members

    page.get_by_role("button", name="Save layer").click()
    page.wait_for_url(re.compile(rf"/schedules/{schedule.pk}/(\?.*)?$"))
    expect(page.locator(".messages")).to_contain_text("Layer saved: Lisbon")
    expect(page.locator(".plan-shifts")).to_contain_text(helena.display_name)
    assert lisbon.members.count() == members + 1
    # Saved in the order the preview showed: hers is the layer's turn running now. (Whether that
    # turn still has hours inside the layer's daily window before its handoff depends on the
    # hour the test runs, so the final schedule's next days are not asked.)
    saved = list(lisbon.members.order_by("position").values_list("person_id", flat=True))
    assert saved[this_weeks_turn(lisbon, len(saved))] == helena.pk
    assert page.outside == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_layer_editor_passes_axe_and_nothing_scrolls_sideways(
    browser, live_server, organisation, width
):
    schedule = Schedule.objects.get(name="Primary")
    lisbon = schedule.layers.get(name="Lisbon")
    page = log_in(browser, live_server, "admin", width)
    pixels = WIDTHS[width][0]
    for path in (
        f"/schedules/{schedule.pk}/layers/{lisbon.pk}/",
        f"/schedules/{schedule.pk}/layers/{lisbon.pk}/delete/",
        f"/schedules/{schedule.pk}/",
    ):
        page.goto(f"{live_server.url}{path}")
        assert serious_violations(page) == [], (path, width)
        assert not (found := sideways(page)), f"{path} {width}: {' '.join(found)}"
    page.goto(f"{live_server.url}/schedules/{schedule.pk}/layers/{lisbon.pk}/")
    page.get_by_role("button", name="Add restriction").click()
    page.get_by_role("button", name="Preview", exact=True).click()
    playwright_api.expect(page.locator("#preview")).to_contain_text("What changes")
    assert serious_violations(page) == [], ("preview", width)
    assert not (found := sideways(page)), f"preview {width}: {' '.join(found)}"
    added = page.locator(".layer-restriction").nth(1)
    added.get_by_label("To", exact=True).fill("09:00")  # 09:00 to 09:00 is refused in place
    page.get_by_role("button", name="Save layer").click()
    playwright_api.expect(page.locator(".layer-restriction").nth(1)).to_contain_text(
        "Restriction end must differ from its start."
    )
    assert serious_violations(page) == [], ("errors", width)
    page.goto(f"{live_server.url}/schedules/{schedule.pk}/layers/new/")
    assert serious_violations(page) == [], ("new", width)
    assert not (found := sideways(page)), f"new {width}: {' '.join(found)}"
    if width == "desktop":
        page.goto(f"{live_server.url}/schedules/{schedule.pk}/layers/{lisbon.pk}/")
        page.get_by_label("Add a member of Platform SRE").select_option(label="Helena Duarte")
        page.get_by_role("button", name="Add member").click()
        page.get_by_role("button", name="Preview", exact=True).click()
        playwright_api.expect(page.locator("#preview")).to_be_visible()
        page.screenshot(path=str(SHOTS / f"layer-edit-{pixels}.png"), full_page=True)
    assert page.outside == []
