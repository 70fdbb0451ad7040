"""What every browser test shares: Debian's Chromium driven by Playwright, the demo organisation,
logging in, firing an alert over HTTP, axe-core, and what sticks out sideways.

Skipped, saying why, where Chromium or Playwright is missing (`.ci/run` installs Chromium with
apt).
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest

from incidents.demo import demo_load
from incidents.models import Service
from incidents.services import doorbell
from oncall.channels.recording import sends
from oncall.demo import PASSWORD
from tests.incidents.conftest import make_integration

CHROMIUM = Path("/usr/bin/chromium")
# The README's screenshots; CI writes them elsewhere (PLANTAO_SHOTS_DIR) so runs side by side
# never write the same file.
SHOTS = Path(
    os.environ.get("PLANTAO_SHOTS_DIR") or Path(__file__).resolve().parents[2] / "static" / "readme"
)
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
SERIOUS = {"serious", "critical"}

playwright_api = pytest.importorskip(
    "playwright.sync_api",
    reason="no browser driver: Playwright for Python is missing (pip install -r requirements.txt)",
)
axe_api = pytest.importorskip("axe_playwright_python.sync_playwright")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no browser: /usr/bin/chromium is missing (apt-get install chromium; .ci/run does)",
)


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


@pytest.fixture
def recorded(settings, tmp_path):
    """Send every message through the recording channel; call it to read what was sent."""
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "sent.jsonl")
    return lambda: sends(settings.PLANTAO_RECORDING_PATH)


@pytest.fixture
def worker(monkeypatch):
    """Do what a commit queues at once, in the live server's thread, as a worker would."""
    from oncall import tasks
    from oncall.config.celery import app

    def send_task(name, args):
        getattr(tasks, name.rsplit(".", 1)[1])(*args)

    monkeypatch.setattr(app, "send_task", send_task)
