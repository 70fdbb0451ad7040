"""The ASGI gates in front of Django, called as uvicorn calls the application: a development key
answers on loopback addresses only, and a body that does not arrive in time is given up on."""

import asyncio
import json

import pytest

from oncall.config import gates
from oncall.config.asgi import application


def call(path: str, server, messages=None) -> tuple[int, dict]:
    """Send one GET to the project's ASGI application as arriving on `server`; return the status
    and the JSON answer."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "server": server,
        "client": ("203.0.113.9", 51000),
    }
    incoming = list(messages or [{"type": "http.request", "body": b"", "more_body": False}])
    sent = []

    async def receive():
        if incoming:
            return incoming.pop(0)
        await asyncio.Event().wait()  # the client stays, says nothing more

    async def send(message):
        sent.append(message)

    asyncio.run(application(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)


@pytest.mark.parametrize("address", ["10.0.0.5", "192.0.2.10", "2001:db8::1", "/run/web.sock"])
def test_a_development_key_refuses_requests_on_a_public_address(settings, address):
    settings.SECRET_KEY_IS_DEVELOPMENT = True
    status, body = call("/healthz", (address, 8000))
    assert status == 503
    assert body["error"]["code"] == "development_secret_key"
    assert "Set SECRET_KEY" in body["error"]["message"]


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_a_development_key_answers_on_loopback(settings, address):
    settings.SECRET_KEY_IS_DEVELOPMENT = True
    assert call("/healthz", (address, 8000)) == (200, {"status": "ok"})


def test_a_key_from_the_environment_answers_on_any_address(settings):
    settings.SECRET_KEY_IS_DEVELOPMENT = False
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    assert call("/healthz", ("10.0.0.5", 8000)) == (200, {"status": "ok"})


def test_a_body_that_stops_arriving_is_answered_408(monkeypatch):
    monkeypatch.setattr(gates, "BODY_SECONDS", 0.01)
    status, body = call(
        "/healthz", ("127.0.0.1", 8000), [{"type": "http.request", "body": b"{", "more_body": True}]
    )
    assert (status, body["error"]["code"]) == (408, "request_timeout")
