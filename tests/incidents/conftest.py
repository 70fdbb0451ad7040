"""Fixtures for the incident engine: the demo organisation, a recording channel, a driver."""

from datetime import UTC, datetime

import pytest

from incidents.demo import demo_load
from incidents.models import EscalationPolicy, Incident, Integration, Page, Service
from incidents.models.integrations import token_digest
from incidents.services import doorbell, engine, pages
from oncall import clock
from oncall.channels.recording import sends
from oncall.models import Team
from tests.fakes.providers import FakeProviders

from .providers import FROM, PUBLIC, SID, TOKEN

# A Wednesday in winter: Lisbon covers Primary from 08:00 to 16:00 UTC.
T0 = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)


@pytest.fixture
def demo(db):
    return demo_load()


@pytest.fixture
def recorded(settings, tmp_path):
    """Send every page through the recording channel; call it to read what was sent."""
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "pages.jsonl")
    return lambda: sends(settings.PLANTAO_RECORDING_PATH)


@pytest.fixture
def rings(monkeypatch):
    """Catch the doorbell instead of a broker: these tests drive the workers' steps by hand."""
    rung = []
    monkeypatch.setattr(doorbell, "_send", lambda task, pk, countdown: rung.append((task, pk)))
    return rung


class Workers:
    """Do what the Celery workers do when their doorbells ring, in time order up to an instant."""

    def __init__(self, frozen_now):
        self.frozen_now = frozen_now

    def _next_due(self, until: datetime) -> datetime | None:
        escalation = (
            Incident.objects.filter(status="triggered", esc_due_at__lte=until)
            .order_by("esc_due_at")
            .values_list("esc_due_at", flat=True)
            .first()
        )
        page = (
            Page.objects.filter(state="pending", due_at__lte=until)
            .order_by("due_at")
            .values_list("due_at", flat=True)
            .first()
        )
        return min((t for t in (escalation, page) if t is not None), default=None)

    def run(self, until: datetime) -> None:
        for _ in range(500):
            at = self._next_due(until)
            if at is None:
                break
            self.frozen_now(at)
            for pk in Incident.objects.filter(status="triggered", esc_due_at__lte=at).values_list(
                "pk", flat=True
            ):
                engine.escalation_fire(incident_id=pk, now=at)
            for pk in Page.objects.filter(state="pending", due_at__lte=at).values_list(
                "pk", flat=True
            ):
                pages.page_send(page_id=pk, now=at)
        self.frozen_now(until)


@pytest.fixture
def workers(frozen_now, rings):
    return Workers(frozen_now)


def make_integration(service, kind="webhook", **fields) -> Integration:
    """Return an integration with a known token (`{kind}-{service}-token`), made directly."""
    token = f"{kind}-{service.pk}-token"
    return Integration.objects.create(
        service=service, kind=kind, token_digest=token_digest(token), token_hint=token[:6], **fields
    )


@pytest.fixture
def twilio(settings):
    """The fake Twilio, with Plantão configured to page through it (its clock: Plantão's)."""
    with FakeProviders(
        twilio_account_sid=SID, twilio_auth_token=TOKEN, now=lambda: clock.now()
    ) as fake:
        settings.TWILIO_ACCOUNT_SID = SID
        settings.TWILIO_AUTH_TOKEN = TOKEN
        settings.TWILIO_AUTH_TOKEN_PREVIOUS = ""
        settings.TWILIO_FROM_NUMBER = FROM
        settings.TWILIO_API_BASE = fake.twilio_base
        settings.PLANTAO_CHANNEL = "auto"
        settings.PUBLIC_URL = PUBLIC
        yield fake


@pytest.fixture
def sre(demo):
    """The demo's team, for the web pages' tests."""
    return Team.objects.get(name="Platform SRE")


@pytest.fixture
def manager(sre):
    """Platform SRE's admin, who is not a superuser."""
    return sre.memberships.get(role="admin", person__user__is_superuser=False).person


@pytest.fixture
def elsewhere(demo):
    """Another team's service, with a policy and an integration."""
    team = Team.objects.create(name="Payments")
    policy = EscalationPolicy.objects.create(team=team, name="Payments default")
    service = Service.objects.create(team=team, name="ledger", escalation_policy=policy)
    make_integration(service)
    return service
