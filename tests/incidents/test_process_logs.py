"""Every process logs through the redacting setup: a real Celery worker and scheduler on the
embedded default page someone by e-mail, and their logs hold no live link."""

import io
import logging
import os

import pytest

from tests.webserver import manage

from .chaos import Fleet, wait_until

SIGNED_PAYLOAD = "eyJ"  # how every signed link token starts: base64 of '{"'
FIRE = """
from incidents.models import Integration, Service
from incidents.models.integrations import token_digest
from incidents.services.alerts import AlertEvent, alerts_ingest
from oncall import clock

service = Service.objects.get(name="edge")
integration = Integration.objects.create(
    service=service, kind="webhook", token_digest=token_digest("t" * 32), token_hint="tttttt"
)
alerts_ingest(
    integration=integration,
    events=[AlertEvent(action="trigger", dedup_key="disk", title="Disk full", severity="critical")],
    now=clock.now(),
)
"""
COUNT_LINK_KEYS = """
from incidents.models import EmailLinkKey
print(EmailLinkKey.objects.filter(page__state__in=["sent", "delivered"]).count())
"""


def embedded(var_dir, **extra) -> dict:
    """The environment of the embedded default (SQLite, filesystem broker) kept in `var_dir`."""
    unset = {
        "SECRET_KEY",
        "DEBUG",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "REDIS_URL",
        "EMAIL_URL",
        "TWILIO_ACCOUNT_SID",
        "SLACK_BOT_TOKEN",
    }
    env = {k: v for k, v in os.environ.items() if k not in unset}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "oncall.config.settings.local",
        "PLANTAO_VAR_DIR": str(var_dir),
        "PLANTAO_CHANNEL": "auto",
        **extra,
    }


@pytest.mark.parametrize(
    "email_url",
    [
        pytest.param(None, id="no-EMAIL_URL-console-channel"),
        # Django's console backend prints the whole e-mail to stdout.
        pytest.param("consolemail://", id="console-email-backend"),
    ],
)
def test_worker_and_scheduler_logs_hold_no_live_email_link(tmp_path, email_url):
    env = embedded(tmp_path / "var", **({"EMAIL_URL": email_url} if email_url else {}))
    manage(env, "migrate", "--no-input")
    manage(env, "demo")
    logs = tmp_path / "logs"
    logs.mkdir()
    fleet = Fleet(env=env, logs=logs, recording=tmp_path / "unused.jsonl")
    try:
        fleet.worker("worker", concurrency=1, loglevel="INFO")
        fleet.beat("scheduler", loglevel="INFO")
        manage(env, "shell", "-c", FIRE)
        worker_log = logs / "worker.log"

        def emailed():
            fleet.check_alive()
            text = worker_log.read_text(errors="replace")
            # The console channel logs "PAGE email"; the console backend prints "Subject:".
            return "Acknowledge:" in text and "Resolve:" in text and "[Plantao #1]" in text

        wait_until(emailed, timeout=90, what="the e-mail page in the worker's log")
        # The page went out, with live links: their secrets are in the database, hashed. The
        # worker prints the e-mail before it records the page as sent, so wait for the record
        # before the worker is stopped.
        wait_until(
            lambda: int(manage(env, "shell", "-c", COUNT_LINK_KEYS).split()[-1]) >= 1,
            timeout=60,
            what="the sent page and its link key in the database",
        )
        wait_until(
            lambda: "celery.beat" in (logs / "scheduler.log").read_text(errors="replace"),
            timeout=60,
            what="the scheduler to log",
        )
    finally:
        fleet.kill_all()
    for name in ("worker.log", "scheduler.log"):
        text = (logs / name).read_text(errors="replace")
        assert SIGNED_PAYLOAD not in text, f"{name} holds a live link:\n{text}"
        # Both log through LOGGING ("%(asctime)s %(levelname)s %(name)s %(message)s").
        assert " INFO celery." in text, text
    assert "/email/[redacted]/" in worker_log.read_text()


TOKEN = "AbCdEf0123456789integrationtoken"


@pytest.fixture
def root_output():
    """What the root logger's configured handlers write (the handlers of settings.LOGGING)."""
    stream = io.StringIO()
    handlers = [h for h in logging.getLogger().handlers if h.name == "console"]
    assert handlers, "LOGGING configures a console handler on the root logger"
    previous = [h.setStream(stream) for h in handlers]
    yield stream
    for handler, old in zip(handlers, previous, strict=True):
        handler.setStream(old)


def test_a_logged_exception_carrying_an_integration_token_comes_out_redacted(root_output):
    path = f"/integrations/webhook/{TOKEN}"
    try:
        # The text of Django's APPEND_SLASH error for a POST without its trailing slash.
        raise RuntimeError(
            f"You called this URL via POST, but the URL doesn't end in a slash. Change your "
            f"form to point to 127.0.0.1:8000{path}/ (note the trailing slash)."
        )
    except RuntimeError as error:
        logging.getLogger("incidents.anything").exception("request to %s failed: %r", path, error)
    logged = root_output.getvalue()
    assert "Traceback" in logged and "RuntimeError" in logged
    assert "/integrations/webhook/[redacted]" in logged
    assert TOKEN not in logged


@pytest.mark.parametrize(
    "secret",
    [
        "xoxb-1234567890-0987654321-AbCdEfGhIjKl",
        "Authorization: Bearer plt_0123456789abcdef",
        '{"routing_key": "AbCdEf0123456789integrationtoken"}',
    ],
)
def test_provider_and_api_tokens_are_cut_from_any_log_line(root_output, secret):
    logging.getLogger("anything").warning("sent %s", secret)
    logged = root_output.getvalue()
    assert "[redacted]" in logged
    assert secret.rsplit(" ", 1)[-1].strip('"}') not in logged


def test_the_configured_twilio_auth_token_is_cut_from_any_log_line(root_output, settings):
    settings.TWILIO_AUTH_TOKEN = "twilio-auth-token-0123456789"
    logging.getLogger("twilio.anything").warning(
        "auth failed with %s", "twilio-auth-token-0123456789"
    )
    assert "auth failed with [redacted]" in root_output.getvalue()
