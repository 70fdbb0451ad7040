"""The demo admin changes who is paged, in a real browser: add a step to "Platform SRE default"
that pages a person, save, and see it in the policy's words. The policy pages and the team page
pass axe-core and do not scroll sideways at phone and desktop widths; the README's screenshots
of the policy editor are saved."""

from __future__ import annotations

import pytest

from incidents.models import EscalationPolicy
from oncall.models import LayerMember, Person
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


def test_the_admin_adds_a_step_paging_a_person(browser, live_server, organisation):
    expect = playwright_api.expect
    policy = EscalationPolicy.objects.get(name="Platform SRE default")
    person = Person.objects.filter(memberships__team=policy.team).order_by("display_name").first()
    page = log_in(browser, live_server, "admin")
    page.goto(f"{live_server.url}/policies/")
    page.get_by_role("link", name="Edit Platform SRE default").click()
    page.get_by_role("button", name="Add a step").click()
    step = page.get_by_role("group", name="Step 4", exact=True)
    step.get_by_label("Escalate after minutes").fill("20")
    target = step.get_by_role("group", name="Step 4, target 1")
    target.get_by_label("Kind").select_option("person")
    target.get_by_label("Whom").select_option(label=person.display_name)
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator(".messages")).to_contain_text("Saved the escalation policy")
    steps = list(policy.steps.order_by("position"))
    assert len(steps) == 4 and steps[3].escalate_after_minutes == 20
    assert [t.person for t in steps[3].targets.all()] == [person]
    page.goto(f"{live_server.url}/policies/")
    expect(page.get_by_text(f"Step 4, after 15 min: {person.display_name}")).to_be_visible()
    assert page.outside == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_pages_pass_axe_and_fit_the_screen(browser, live_server, organisation, width):
    policy = EscalationPolicy.objects.get(name="Platform SRE default")
    page = log_in(browser, live_server, "admin", width)
    pages = ("/policies/", f"/policies/{policy.pk}/", "/policies/new/", f"/teams/{policy.team_id}/")
    for where in pages:
        assert page.goto(f"{live_server.url}{where}").ok, where
        if where == f"/policies/{policy.pk}/":
            shot = SHOTS / f"policy-editor-{WIDTHS[width][0]}.png"
            page.screenshot(path=str(shot), full_page=True)
        assert serious_violations(page) == [], where
        assert sideways(page) == [], where
    assert page.outside == []


def test_the_admin_changes_a_role_and_sees_a_refusal(browser, live_server, organisation):
    expect = playwright_api.expect
    team = EscalationPolicy.objects.get(name="Platform SRE default").team
    in_a_layer = LayerMember.objects.values("person")
    member = team.memberships.filter(role="responder", person__in=in_a_layer).first()
    name = member.person.display_name
    page = log_in(browser, live_server, "admin", "phone")
    page.goto(f"{live_server.url}/schedules/")
    page.get_by_role("link", name=team.name).first.click()
    expect(page.get_by_role("heading", name=team.name, level=1)).to_be_visible()
    page.get_by_text(f"Manage {name}").click()
    page.get_by_label(f"Role of {name}").select_option("viewer")
    page.get_by_role("button", name=f"Change role of {name}").click()
    expect(page.locator(".messages")).to_contain_text(f"{name} is now viewer of {team.name}.")
    member.refresh_from_db()
    assert member.role == "viewer"
    page.get_by_text(f"Manage {name}").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Remove {name} from the team").click()
    expect(page.locator(".messages")).to_contain_text("Nothing was changed.")  # in a layer
    assert team.memberships.filter(pk=member.pk).exists()
    assert sideways(page) == []
    assert page.outside == []
