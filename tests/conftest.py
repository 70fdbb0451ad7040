"""Shared fixtures, and the skips for what needs a real PostgreSQL or Redis."""

import os
from datetime import timedelta

import pytest

from oncall import clock


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
    from oncall.selectors import rotas_forget

    for forget in (tokens_forget, rotas_forget, snapshots_forget):
        forget()
    yield
    for forget in (tokens_forget, rotas_forget, snapshots_forget):
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
