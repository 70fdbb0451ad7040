"""Shared fixtures, and the skips for what needs a real PostgreSQL or Redis."""

import os
from datetime import timedelta

import pytest

from oncall import clock
from tests.fakes.providers import FakeProviders

# The Slack app the tests configure: its bot token and signing secret.
SLACK_TOKEN, SLACK_SECRET = "xoxb-plantao", "slack-signing-secret"


def _uses(prefix: str, *variables: str) -> bool:
    return any(os.environ.get(name, "").startswith(prefix) for name in variables)


def pytest_collection_modifyitems(config, items):
    needs = {
        "postgres": (
            _uses("postgres", "DATABASE_URL"),
            "needs PostgreSQL: set DATABASE_URL=postgres://... (CI runs it)",
        ),
        "redis": (
            _uses("redis", "CELERY_BROKER_URL", "REDIS_URL"),
            "needs Redis: set CELERY_BROKER_URL/REDIS_URL=redis://... (CI runs it)",
        ),
    }
    for item in items:
        for marker, (available, reason) in needs.items():
            if marker in item.keywords and not available:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _process_memory_forgotten():
    """Each test's database is its own: nothing recognised, compiled or copied in an earlier test
    survives into the next."""
    from incidents.services.integrations import tokens_forget
    from incidents.services.policies import snapshots_forget
    from incidents.tallies import tallies_forget
    from oncall.selectors import rotas_forget

    forgets = (tokens_forget, rotas_forget, snapshots_forget, tallies_forget)
    for forget in forgets:
        forget()
    yield
    for forget in forgets:
        forget()


@pytest.fixture
def frozen_now(monkeypatch):
    """Freeze the clock that Plantão reads; call the fixture's result to move it."""

    class Frozen:
        def __call__(self, at):
            monkeypatch.setattr(clock, "now", lambda: at)
            # Waiting (a text queued behind others at its sending number) moves the clock on.
            monkeypatch.setattr(
                clock, "sleep", lambda seconds: self(at + timedelta(seconds=seconds))
            )
            return at

    return Frozen()


@pytest.fixture
def slack(settings):
    """The fake Slack, with Plantão configured to use it (its clock: Plantão's)."""
    with FakeProviders(slack_token=SLACK_TOKEN, now=lambda: clock.now()) as fake:
        settings.SLACK_BOT_TOKEN = SLACK_TOKEN
        settings.SLACK_SIGNING_SECRET = SLACK_SECRET
        settings.SLACK_API_BASE = fake.slack_base
        settings.PLANTAO_CHANNEL = "auto"
        yield fake
