"""A postmortem in a real browser, from an incident to its publication: the demo admin resolves
an incident, starts its postmortem from the incident's page, writes a section and sees it saved
by itself, adds an action item and asks Helena (the team's manager) to review; Helena approves
in a second browser context; the admin publishes, the write-up turns read-only, and he exports
it as Markdown. Two people writing at once: the later autosave says so and saves nothing. The
list, the editor and an entry's own page pass axe-core with nothing sideways at phone and
desktop widths; the README's screenshots of the editor are saved.

What they share with the other browser tests is in conftest.py.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from incidents.models import Incident, Postmortem, PostmortemSettings, Service
from incidents.services.incidents import incident_acknowledge, incident_resolve
from incidents.services.postmortems import (
    action_item_create,
    entry_add,
    postmortem_start,
    postmortem_update,
)
from oncall import clock
from oncall.models import Person, Team
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

SUMMARY = "Checkout failed for 12 minutes: auth ran out of database connections."


def test_a_postmortem_from_the_incident_to_its_publication(browser, live_server, organisation):
    expect = playwright_api.expect
    helena = Person.objects.get(user__username="helena")
    alert(live_server, Service.objects.get(name="auth"), "Checkout is failing")
    incident = Incident.objects.get(title="Checkout is failing")
    page = log_in(browser, live_server, "admin")
    page.goto(f"{live_server.url}/incidents/{incident.number}/")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".messages")).to_contain_text(f"Resolved #{incident.number}")

    page.get_by_role("button", name="Start postmortem").click()
    postmortem = Postmortem.objects.get()
    page.wait_for_url(f"{live_server.url}/postmortems/{postmortem.pk}/")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    page.get_by_label("Summary").fill(SUMMARY)
    expect(page.locator("#autosave-status")).to_contain_text("Saved at", timeout=8000)
    assert postmortem.sections.get(heading="Summary").body == SUMMARY
    page.reload()
    expect(page.get_by_label("Summary")).to_have_value(SUMMARY)

    page.locator("summary", has_text="Add action item").click()
    adding = page.locator("#action-items details.pm-add")
    adding.get_by_label("Action").fill("Alert when auth's pool is 80% used")
    adding.get_by_label("Owner").select_option(label=helena.display_name)
    adding.get_by_role("button", name="Add action item").click()
    expect(page.locator(".messages")).to_contain_text("Action item added")
    expect(page.locator("#action-items")).to_contain_text(helena.display_name)

    page.get_by_label(helena.display_name, exact=True).check()
    page.get_by_role("button", name="Request review").click()
    expect(page.locator(".messages")).to_contain_text(f"Review asked of {helena.display_name}")
    expect(page.get_by_role("button", name="Publish")).to_be_visible()  # the admin may

    reviewer = log_in(browser, live_server, "helena", "phone")  # a second browser context
    reviewer.goto(f"{live_server.url}/postmortems/{postmortem.pk}/")
    reviewer.get_by_role("button", name="Approve").click()
    expect(reviewer.locator(".messages")).to_contain_text("You approved this postmortem.")
    expect(reviewer.locator("#review")).to_contain_text("approved")

    page.reload()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".messages")).to_contain_text("Published.")
    expect(page.get_by_label("Summary")).to_have_count(0)  # read-only now
    expect(page.locator(".pm-body").first).to_contain_text(SUMMARY)
    expect(
        page.locator("summary", has_text="Add action item")
    ).to_be_visible()  # still open to change
    postmortem.refresh_from_db()
    assert postmortem.status == Postmortem.Status.PUBLISHED

    with page.expect_download() as download:
        page.get_by_role("link", name="Export Markdown").click()
    markdown = Path(download.value.path()).read_text()
    assert markdown.startswith(f"# #{incident.number} Checkout is failing")
    assert SUMMARY in markdown and "Alert when auth" in markdown
    assert page.outside == [] and reviewer.outside == []


def test_an_autosave_after_someone_else_saved_says_so_and_saves_nothing(
    browser, live_server, organisation
):
    expect = playwright_api.expect
    alert(live_server, Service.objects.get(name="cdn"), "CDN misses")
    incident = Incident.objects.get(title="CDN misses")
    helena = Person.objects.get(user__username="helena")
    postmortem = postmortem_start(incidents=[incident], by=helena, now=clock.now())
    url = f"{live_server.url}/postmortems/{postmortem.pk}/"
    first, second = log_in(browser, live_server, "admin"), log_in(browser, live_server, "helena")
    first.goto(url)
    second.goto(url)
    first.get_by_label("Summary").fill("The origin was cold after a deploy.")
    expect(first.locator("#autosave-status")).to_contain_text("Saved at", timeout=8000)
    second.get_by_label("Impact").fill("Slow video starts in Europe.")
    status = second.locator("#autosave-status")
    expect(status).to_contain_text("Someone else changed this postmortem: reload", timeout=8000)
    assert postmortem.sections.get(heading="Impact").body == ""
    status.get_by_role("link", name="Reload").click()
    expect(second.get_by_label("Summary")).to_have_value("The origin was cold after a deploy.")
    assert first.outside == [] and second.outside == []


def _a_postmortem_to_look_at() -> Postmortem:
    """Return a drafted postmortem with a resolved incident, a note, an entry by hand and two
    action items; and leave another critical incident owing one."""
    team = Team.objects.get(name="Platform SRE")
    PostmortemSettings.objects.create(team=team, required_for_critical=True)
    manager = Person.objects.get(user__username="helena")
    now = clock.now()
    incidents = []
    for title in ("Playback stalls in Lisbon", "Catalog is empty"):
        incident = Incident.objects.get(title=title)
        incident_acknowledge(incident=incident, now=now + timedelta(minutes=3), by=manager)
        incident_resolve(incident=incident, now=now + timedelta(minutes=19), by=manager)
        incidents.append(incident)
    later = now + timedelta(minutes=30)
    postmortem = postmortem_start(incidents=incidents[:1], by=manager, now=later)
    rollback = now + timedelta(minutes=12)
    entry_add(postmortem=postmortem, by=manager, now=later, at=rollback, text="Rolled back 4.2.")
    summary = postmortem.sections.get(heading="Summary")
    postmortem_update(
        postmortem=postmortem,
        by=manager,
        now=later,
        revision=postmortem.revision,
        sections={summary.pk: SUMMARY},
    )
    for title, days in (("Cap retries at the edge", 7), ("Load test playback", 21)):
        action_item_create(
            postmortem=postmortem,
            by=manager,
            now=later,
            title=title,
            owner=manager,
            due_on=(now + timedelta(days=days)).date(),
        )
    return postmortem


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_pages_pass_axe_and_fit_the_screen(browser, live_server, organisation, width):
    alert(live_server, Service.objects.get(name="playback"), "Playback stalls in Lisbon")
    alert(live_server, Service.objects.get(name="catalog"), "Catalog is empty")
    Incident.objects.update(severity="critical")
    postmortem = _a_postmortem_to_look_at()
    # A responder in Singapore: the times read there, with the offset, and in UTC.
    reader = Person.objects.filter(time_zone="Asia/Singapore").order_by("display_name").first()
    page = log_in(browser, live_server, reader.user.username, width)
    entry = postmortem.entries.get(kind="manual")
    pages = ("/postmortems/", f"/postmortems/{postmortem.pk}/entries/{entry.pk}/")
    for where in (*pages, f"/postmortems/{postmortem.pk}/"):
        assert page.goto(f"{live_server.url}{where}").ok, where
        if where == f"/postmortems/{postmortem.pk}/":
            shot = SHOTS / f"postmortem-editor-{WIDTHS[width][0]}.png"
            page.screenshot(path=str(shot), full_page=True)
        assert serious_violations(page) == [], where
        assert sideways(page) == [], where
    page.locator("summary", has_text="Add entry").click()  # the forms folded away pass too
    page.locator("summary", has_text="Add action item").click()
    assert serious_violations(page) == []
    assert sideways(page) == []
    assert page.outside == []
