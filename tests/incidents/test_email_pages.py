"""E-mail pages: sent through Django's mail framework, with acknowledge and resolve links that
are signed, expire, ask to confirm, and act once."""

import hashlib
import re
import smtplib
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail, signing
from django.core.mail.backends.base import BaseEmailBackend

from incidents.models import Incident, TimelineEntry
from incidents.services import email_links
from incidents.services.incidents import incident_unacknowledge
from oncall.channels.base import ChannelError, Message
from oncall.channels.email import EmailChannel

from .conftest import T0
from .test_engine import fire, on_call

MINUTE = timedelta(minutes=1)
LINK = re.compile(r"(Acknowledge|Resolve):\s+https?://[^/]+(/email/[^/\s]+/)")


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no such user")})


class UnreachableBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("connection refused")


@pytest.fixture
def emailed(settings, demo, workers):
    """An incident whose first step has e-mailed the Primary on-call person (SMTP configured)."""
    settings.PLANTAO_CHANNEL = "auto"
    settings.EMAIL_CONFIGURED = True
    incident = fire()
    workers.run(T0)
    (message,) = mail.outbox
    links = dict(LINK.findall(message.body))
    return incident, message, links


@pytest.mark.django_db
def test_the_page_is_an_email_with_both_links(emailed):
    incident, message, links = emailed
    assert message.to == [on_call("Primary").user.email]
    assert message.subject == f"[Plantao #{incident.number}] CRITICAL Disk full"
    assert set(links) == {"Acknowledge", "Resolve"}
    assert message.extra_headers["X-Plantao-Page"].startswith("page-")
    # The incident's own page, for the whole story (who else was paged, the timeline).
    assert f"Open it:     {settings.PUBLIC_URL}/incidents/{incident.number}/\n" in message.body


@pytest.mark.django_db
def test_opening_a_link_only_asks_then_confirming_acknowledges_once(client, emailed):
    incident, _, links = emailed
    shown = client.get(links["Acknowledge"])  # what a mail scanner does too
    assert shown.status_code == 200
    assert f"Acknowledge #{incident.number}?" in shown.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == "triggered"

    done = client.post(links["Acknowledge"])
    assert done.status_code == 200 and "is acknowledged" in done.content.decode()
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.acknowledged_by == on_call("Primary")
    assert incident.timeline.get(kind=TimelineEntry.Kind.ACKNOWLEDGED).source == "email"

    again = client.post(links["Acknowledge"])
    assert again.status_code == 410 and "spent" in again.content.decode()
    assert incident.timeline.filter(kind=TimelineEntry.Kind.ACKNOWLEDGED).count() == 1


@pytest.mark.django_db
def test_an_acknowledge_link_stays_spent_after_the_acknowledgement_times_out(client, emailed):
    incident, _, links = emailed
    assert client.post(links["Acknowledge"]).status_code == 200
    incident.refresh_from_db()
    assert incident_unacknowledge(incident=incident, now=T0 + 30 * MINUTE)
    assert client.post(links["Acknowledge"]).status_code == 410
    # The resolve link still works, once.
    assert client.post(links["Resolve"]).status_code == 200
    assert Incident.objects.get(pk=incident.pk).status == "resolved"
    assert client.post(links["Resolve"]).status_code == 410


@pytest.mark.django_db
def test_tampered_and_expired_links_do_nothing(client, emailed, monkeypatch):
    incident, _, links = emailed
    tampered = links["Acknowledge"][:-6] + "AAAAA/"
    refused = client.post(tampered)
    assert refused.status_code == 410 and "not one Plantão sent" in refused.content.decode()
    later = time.time() + 25 * 3600
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    expired = client.post(links["Acknowledge"])
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == "triggered"


@pytest.mark.django_db
def test_with_no_smtp_the_email_page_is_logged_without_its_link_tokens(
    settings, demo, workers, caplog
):
    settings.PLANTAO_CHANNEL = "auto"
    settings.EMAIL_CONFIGURED = False
    caplog.set_level("INFO")
    fire()
    workers.run(T0)
    logged = [r.getMessage() for r in caplog.records if r.name == "plantao.pages"]
    emails = [line for line in logged if line.startswith("PAGE email")]
    assert emails and "/email/[redacted]/" in emails[0]
    assert not mail.outbox


def test_a_refused_recipient_fails_and_an_unreachable_server_is_retried(settings):
    message = Message("page-1", "email", "x@example.org", "subject", "body")
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    with pytest.raises(ChannelError) as refused:
        EmailChannel().send(message)
    assert refused.value.retryable is False
    settings.EMAIL_BACKEND = f"{__name__}.UnreachableBackend"
    with pytest.raises(ChannelError) as unreachable:
        EmailChannel().send(message)
    assert unreachable.value.retryable is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({}, id="signature-only"),  # what the links were before they carried a secret
        pytest.param({"k": "guessed-secret"}, id="guessed-secret"),
        pytest.param({"k": ["x"]}, id="malformed-secret"),
    ],
)
def test_a_link_signed_with_the_right_key_but_without_the_pages_secret_does_nothing(
    client, emailed, payload
):
    incident, _, links = emailed
    page = incident.pages.get(kind="email")
    for action in ("acknowledge", "resolve"):
        token = signing.dumps(
            {"p": page.pk, "a": action, **payload}, salt=email_links.SALT, compress=False
        )
        shown = client.get(f"/email/{token}/")
        assert shown.status_code == 410 and "not one Plantão sent" in shown.content.decode()
        refused = client.post(f"/email/{token}/")
        assert refused.status_code == 410 and "not one Plantão sent" in refused.content.decode()
    incident.refresh_from_db()
    assert incident.status == "triggered"
    assert not incident.timeline.filter(
        kind__in=[TimelineEntry.Kind.ACKNOWLEDGED, TimelineEntry.Kind.RESOLVED]
    ).exists()
    # The genuine link, with its secret, still works.
    assert client.post(links["Resolve"]).status_code == 200
    assert Incident.objects.get(pk=incident.pk).status == "resolved"


@pytest.mark.django_db
def test_the_link_secret_is_stored_only_as_a_digest(emailed):
    incident, message, _ = emailed
    page = incident.pages.get(kind="email")
    (key,) = page.email_link_keys.all()
    tokens = re.findall(r"/email/([^/\s]+)/", message.body)
    secrets = {signing.loads(t, salt=email_links.SALT)["k"] for t in tokens}
    (secret,) = secrets  # one secret for the e-mail's two links
    assert key.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in key.digest
