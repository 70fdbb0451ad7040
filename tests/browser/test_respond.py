"""A responder's night, in a real browser: Playwright drives Debian's Chromium against a live
server. Log in, see who is on call, fire an alert through an integration and watch its incident
appear on the dashboard without a reload, open it, acknowledge, see the timeline, resolve; a
viewer sees no buttons; axe-core (bundled by axe-playwright-python, run in the page) finds no
serious or critical violation at phone and desktop widths; the README's screenshots are saved.

Skipped, saying why, where Chromium or Playwright is missing (`.ci/run` installs Chromium with
apt). They run on whichever database the suite runs on: both fit its budget.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from incidents.demo import demo_load
from incidents.models import Incident, Service
from incidents.services import doorbell
from oncall import clock, selectors
from oncall.demo import PASSWORD
from oncall.models import Membership, Person, Schedule, Team
from tests.incidents.conftest import make_integration

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "static" / "readme"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
SERIOUS = {"serious", "critical"}

playwright_api = pytest.importorskip(
    "playwright.sync_api",
    reason="no browser driver: Playwright for Python is missing (pip install -r requirements.txt)",
)
axe_api = pytest.importorskip("axe_playwright_python.sync_playwright")
pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no browser: /usr/bin/chromium is missing (apt-get install chromium; .ci/run does)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread; the test's own database reads
    # around it are synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with playwright_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def organisation(db, rings):
    """The demo organisation (its people log in with the demo password)."""
    demo_load()


@pytest.fixture
def rings(monkeypatch):
    """Catch the engine's doorbell: the scenario needs no worker, only the web."""
    monkeypatch.setattr(doorbell, "_send", lambda task, pk, countdown: None)


def log_in(browser, live_server, username: str, width: str = "desktop"):
    page = browser.new_page(viewport=dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    outside = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(live_server.url) else outside.append(request.url)
        ),
    )
    page.outside = outside
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


def alert(live_server, service: Service, title: str) -> None:
    """Fire an alert through the service's generic webhook integration, over HTTP."""
    integration = make_integration(service)
    token = f"webhook-{service.pk}-token"
    assert integration.token_hint == token[:6]
    body = json.dumps({"title": title, "status": "firing", "dedup_key": title}).encode()
    request = urllib.request.Request(
        f"{live_server.url}/integrations/webhook/{token}/",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status in (200, 201, 202)


def serious_violations(page) -> list[str]:
    results = axe_api.Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


def sideways(page) -> list[str]:
    """Return what sticks out of the page sideways (nothing, when nothing scrolls sideways)."""
    return page.evaluate(
        """() => {
          const root = document.documentElement;
          if (root.scrollWidth <= root.clientWidth) return [];
          return [...document.querySelectorAll("body *")]
            .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 1)
            .filter((e) => !e.closest(".table-scroll"))  // those scroll inside their card
            .map((e) => `${e.tagName}.${e.className}#${e.id}`)
            .slice(0, 12);
        }"""
    )


def test_a_responder_sees_an_alert_arrive_acknowledges_and_resolves_it(
    browser, live_server, organisation
):
    page = log_in(browser, live_server, "admin")
    schedule = Schedule.objects.get(name="Primary")
    primary = selectors.oncall_at(schedule=schedule, at=clock.now())
    expect = playwright_api.expect
    on_call_now = page.locator(f"#schedule-{schedule.pk} .roster__item--now")
    expect(on_call_now).to_contain_text(primary.display_name)

    alert(live_server, Service.objects.get(name="auth"), "Checkout is failing")
    incident = Incident.objects.get(title="Checkout is failing")
    row = page.locator("#open-incidents").get_by_role(
        "link", name=f"#{incident.number} Checkout is failing"
    )
    expect(row).to_be_visible(timeout=5000)  # the dashboard polls; no reload

    row.click()
    page.wait_for_url(f"{live_server.url}/incidents/{incident.number}/")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Triggered")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".messages")).to_contain_text(f"Acknowledged #{incident.number}")
    expect(page.locator(".facts")).to_contain_text("Acknowledged")
    acknowledged = page.locator(".timeline-row--acknowledged")
    expect(acknowledged).to_contain_text("Web")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".messages")).to_contain_text(f"Resolved #{incident.number}")
    expect(page.locator(".facts")).to_contain_text("Resolved")
    expect(page.get_by_role("button", name="Resolve")).to_have_count(0)
    assert page.outside == []  # nothing was fetched from anywhere but the server


def test_a_viewer_sees_no_buttons(browser, live_server, organisation):
    user = get_user_model().objects.create_user("night-viewer", password=PASSWORD)
    viewer = Person.objects.create(user=user, display_name="Night Viewer")
    Membership.objects.create(
        team=Team.objects.get(name="Platform SRE"), person=viewer, role="viewer"
    )
    alert(live_server, Service.objects.get(name="edge"), "Edge is slow")
    incident = Incident.objects.get(title="Edge is slow")
    page = log_in(browser, live_server, "night-viewer")
    page.goto(f"{live_server.url}/incidents/{incident.number}/")
    playwright_api.expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    for name in ("Acknowledge", "Resolve", "Escalate"):
        playwright_api.expect(page.get_by_role("button", name=name)).to_have_count(0)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_axe_finds_nothing_serious_and_nothing_scrolls_sideways(
    browser, live_server, organisation, width
):
    alert(live_server, Service.objects.get(name="cdn"), "Video buffers in Lisbon")
    incident = Incident.objects.get(title="Video buffers in Lisbon")
    page = log_in(browser, live_server, "admin", width)
    pixels = WIDTHS[width][0]
    for path, shot in [
        ("/", f"dashboard-{pixels}.png"),
        ("/incidents/", None),
        (f"/incidents/{incident.number}/", f"incident-{pixels}.png"),
    ]:
        page.goto(f"{live_server.url}{path}")
        assert serious_violations(page) == [], (path, width)
        assert not (found := sideways(page)), f"{path} {width}: {' '.join(found)}"
        if shot:
            page.screenshot(path=str(SHOTS / shot), full_page=width == "phone")
    assert page.outside == []
