"""A team admin wires monitoring to a service, in a real browser: create an Alertmanager
integration on `auth`, see its URL and token once with Copy buttons, press "Send test alert",
follow the link to the incident it opened. The services and integrations pages pass axe-core
and do not scroll sideways at phone and desktop widths; the README's screenshots are saved."""

from __future__ import annotations

import pytest

from incidents.ingest.samples import TEST_TITLE
from incidents.models import Incident, Integration, Service
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


def create_integration(page, live_server, name: str) -> None:
    page.goto(f"{live_server.url}/services/")
    page.get_by_role("link", name="auth").click()
    page.get_by_role("link", name="New integration").click()
    page.get_by_label("Kind").select_option("alertmanager")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create integration").click()


def test_an_admin_creates_an_integration_and_sends_a_test_alert(browser, live_server, organisation):
    expect = playwright_api.expect
    page = log_in(browser, live_server, "admin")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    create_integration(page, live_server, "prod")
    integration = Integration.objects.get(service__name="auth", name="prod")
    token = page.locator("#secret-token").inner_text()
    assert integration.token_hint == token[:6]
    expect(page.locator("#secret-url")).to_contain_text(f"/integrations/alertmanager/{token}/")
    expect(page.get_by_text("will not be shown again")).to_be_visible()
    page.get_by_role("button", name="Copy token").click()
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == token
    expect(page.get_by_role("button", name="Copy URL")).to_be_visible()

    page.reload()  # shown once: a reload no longer has it
    expect(page.get_by_role("heading", name="The token is not shown again")).to_be_visible()
    assert token not in page.content()

    page.get_by_role("link", name="Done").click()
    assert token not in page.content()
    card = page.locator(f"#integration-{integration.pk}")
    card.get_by_role("button", name="Send test alert").click()
    incident = Incident.objects.get(service__name="auth", title=TEST_TITLE)
    page.get_by_role("link", name=f"Open incident #{incident.number}").click()
    page.wait_for_url(f"{live_server.url}/incidents/{incident.number}/")
    expect(page.get_by_role("heading", name=TEST_TITLE)).to_be_visible()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Low")

    page.goto(f"{live_server.url}/integrations/")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    card.get_by_role("button", name="Delete integration").click()
    expect(card).to_be_visible()  # dismissed: nothing was sent
    assert questions and "Its tokens stop working" in questions[0]
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Delete integration").click()
    expect(page.locator(".messages")).to_contain_text("Deleted auth prod")
    expect(card).to_have_count(0)
    assert not Integration.objects.filter(pk=integration.pk).exists()
    assert page.outside == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_pages_pass_axe_and_fit_the_screen(browser, live_server, organisation, width):
    page = log_in(browser, live_server, "admin", width)
    service = Service.objects.get(name="auth")
    create_integration(page, live_server, "prod")
    page.locator("#secret-token").wait_for()
    for where in ("created", "/services/", f"/services/{service.pk}/", "/integrations/"):
        if where == "created":
            shot = SHOTS / f"integration-created-{WIDTHS[width][0]}.png"
            page.screenshot(path=str(shot), full_page=True)
        else:
            page.goto(f"{live_server.url}{where}")
        assert serious_violations(page) == [], where
        assert sideways(page) == [], where
    assert page.outside == []
