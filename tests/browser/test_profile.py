"""My profile in a real browser: add a phone number, read the code it was texted (through the
recording channel, sent as a worker would), verify it; create an API token, copy it from the
page, call the API with it, revoke it and see the API refuse it; axe-core finds nothing serious
and nothing scrolls sideways at phone and desktop widths; the README's screenshots are saved."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest

from oncall.models import ContactMethod, Team
from oncall.services import contact_method_create
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

CODE = re.compile(r"code is (\d{6})\.")


def api_status(live_server, secret: str) -> int:
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/oncall/", headers={"Authorization": f"Bearer {secret}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            json.load(answer)
            return answer.status
    except urllib.error.HTTPError as refusal:
        return refusal.code


def test_a_person_verifies_a_new_phone_with_the_code_texted_to_it(
    browser, live_server, organisation, recorded, worker
):
    page = log_in(browser, live_server, "admin")
    page.get_by_role("link", name="Profile").click()
    page.wait_for_url(f"{live_server.url}/profile/")
    expect = playwright_api.expect
    page.get_by_label("Kind").select_option("sms")
    page.get_by_label("Address").fill("+351 912 345 678")
    page.get_by_label("Label").fill("Work phone")
    page.get_by_role("button", name="Add contact method").click()
    expect(page.locator(".messages")).to_contain_text("Added SMS +351912345678")
    method = ContactMethod.objects.get(address="+351912345678")
    row = page.locator(f"#method-{method.pk}")
    expect(row).to_contain_text("Not verified")

    (sent,) = [s for s in recorded() if s["address"] == "+351912345678"]
    code = CODE.search(sent["body"]).group(1)
    row.get_by_label("Code for +351912345678").fill(code)
    row.get_by_role("button", name="Verify +351912345678").click()
    expect(page.locator(".messages")).to_contain_text("Verified SMS +351912345678")
    expect(page.locator(f"#method-{method.pk}")).to_contain_text("Verified")
    expect(page.locator(f"#method-{method.pk}")).not_to_contain_text("Not verified")
    method.refresh_from_db()
    assert method.is_verified
    assert page.outside == []


def test_a_person_creates_a_token_copies_it_uses_it_and_revokes_it(
    browser, live_server, organisation
):
    page = log_in(browser, live_server, "admin")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/profile/")
    expect = playwright_api.expect
    page.get_by_label("Token name").fill("laptop")
    page.get_by_label("Scope").select_option("read")
    page.get_by_label("Expires after days").fill("30")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator(".messages")).to_contain_text("Created the API token laptop")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status").filter(has_text="Copied.")).to_be_visible()
    secret = page.evaluate("navigator.clipboard.readText()")
    assert secret.startswith("plt_")
    assert api_status(live_server, secret) == 200

    page.goto(f"{live_server.url}/profile/")  # the secret is shown once
    expect(page.locator("#secret-value")).to_have_count(0)
    page.get_by_role("button", name="Revoke the token laptop").click()
    expect(page.locator(".messages")).to_contain_text("Revoked the API token laptop")
    expect(page.get_by_role("button", name="Revoke the token laptop")).to_have_count(0)
    assert api_status(live_server, secret) == 401
    assert page.outside == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_axe_finds_nothing_serious_on_the_profile_and_nothing_scrolls_sideways(
    browser, live_server, organisation, width, recorded, worker
):
    manager = Team.objects.get(name="Platform SRE").manager  # with the demo's phone and e-mail
    contact_method_create(person=manager, kind="slack", address="U012AB3CD", label="Slack")
    page = log_in(browser, live_server, manager.user.username, width)
    page.goto(f"{live_server.url}/profile/")
    page.get_by_label("Token name").fill("laptop")
    page.get_by_role("button", name="Create token").click()
    page.get_by_label("Address").fill("not a number")  # an error in place, shown too
    page.get_by_role("button", name="Add contact method").click()
    playwright_api.expect(page.locator(".field__error")).to_be_visible()
    assert serious_violations(page) == [], width
    assert not (found := sideways(page)), f"{width}: {' '.join(found)}"
    page.goto(f"{live_server.url}/profile/")
    assert serious_violations(page) == [], width
    assert not (found := sideways(page)), f"{width}: {' '.join(found)}"
    page.screenshot(path=str(SHOTS / f"profile-{WIDTHS[width][0]}.png"), full_page=width == "phone")
    assert page.outside == []
