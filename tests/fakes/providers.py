"""A local HTTP server that speaks Twilio's and Slack's APIs, for tests and benchmarks, and the
signatures Twilio and Slack put on the callbacks they send us.

    with FakeProviders() as fake:
        client = twilio.rest.Client(sid, token)
        client.api.base_url = fake.twilio_base
        slack = slack_sdk.WebClient(token=..., base_url=fake.slack_base)
        fake.twilio.script("500-after-create")

One server on 127.0.0.1 and a free port, one thread per request; everything it records is
guarded by one lock. Paths: /twilio/... is Twilio's REST API (base https://api.twilio.com),
/slack/api/... Slack's Web API (https://slack.com/api/), /slack/response/<key> a response_url.
"""

import hashlib
import hmac
import json
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from twilio.request_validator import RequestValidator

from tests.fakes.outcomes import Reply
from tests.fakes.slack_api import FakeSlack
from tests.fakes.twilio_api import FakeTwilio

__all__ = ["FakeProviders", "FakeSlack", "FakeTwilio", "slack_headers", "twilio_signature"]


def twilio_signature(url: str, params: dict, auth_token: str) -> str:
    """Return the X-Twilio-Signature Twilio would send with a form `params` POST to `url`."""
    return RequestValidator(auth_token).compute_signature(url, params)


def slack_headers(body: bytes | str, secret: str, timestamp: int | None = None) -> dict:
    """Return the Django test client kwargs for Slack's signature on `body`, sent at
    `timestamp` (now by default): HMAC-SHA256 of v0:{timestamp}:{body} with the signing secret."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), b"v0:%d:%s" % (timestamp, raw), hashlib.sha256)
    return {
        "HTTP_X_SLACK_SIGNATURE": f"v0={digest.hexdigest()}",
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": str(timestamp),
    }


class FakeProviders:
    """The fake server: start it with `with`, point the clients at `twilio_base` and
    `slack_base`, script failures on `twilio` and `slack`, read what they recorded."""

    def __init__(
        self,
        *,
        twilio_account_sid: str = "AC" + "0" * 32,
        twilio_auth_token: str = "fake-twilio-token",
        slack_token: str = "xoxb-fake",
        now: Callable[[], datetime] | None = None,
    ):
        now = now or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[tuple[str, str]] = []  # (method, path without the query)
        self.twilio = FakeTwilio(
            account_sid=twilio_account_sid, auth_token=twilio_auth_token, lock=self._lock, now=now
        )
        self.slack = FakeSlack(token=slack_token, lock=self._lock, now=now)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake providers are not running; use `with FakeProviders()`")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def twilio_base(self) -> str:
        return f"{self.url}/twilio"

    @property
    def slack_base(self) -> str:
        return f"{self.url}/slack/api/"

    def start(self) -> "FakeProviders":
        """Listen on a free port of 127.0.0.1 and serve from a daemon thread."""
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self.slack.base_url = self.url
        # A short poll keeps shutdown quick; the default would add half a second per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-providers",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut short any hanging answer, and close the socket."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> "FakeProviders":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget everything recorded and scripted."""
        with self._lock:
            self.requests.clear()
            self.twilio.reset()
            self.slack.reset()

    def answer(self, method: str, target: str, headers, body: bytes) -> Reply:
        """Route one request to the provider its path names."""
        parts = urlsplit(target)
        path = parts.path
        with self._lock:
            self.requests.append((method, path))
        query = _fields(parts.query)
        if path.startswith("/twilio/"):
            form = _fields(body.decode())
            authorization = headers.get("Authorization")
            return self.twilio.handle(
                method, path.removeprefix("/twilio"), query, form, authorization
            )
        if path.startswith("/slack/api/"):
            params = query | _slack_params(headers.get("Content-Type", ""), body)
            method_name = path.removeprefix("/slack/api/")
            return self.slack.handle(method_name, params, headers.get("Authorization"))
        if path.startswith("/slack/response/") and method == "POST":
            return self.slack.handle_response(unquote(path.removeprefix("/slack/response/")), body)
        return Reply(404, "not found")


def _fields(encoded: str) -> dict:
    """Parse a query string or form body; a field given more than once becomes a list."""
    parsed = parse_qs(encoded, keep_blank_values=True)
    return {name: values[0] if len(values) == 1 else values for name, values in parsed.items()}


def _slack_params(content_type: str, body: bytes) -> dict:
    if content_type.startswith("application/json"):
        return json.loads(body or b"{}")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return _fields(body.decode())
    return {}  # multipart file uploads are not faked


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # benchmarks open many connections at once
    fake: FakeProviders

    def handle_error(self, request, client_address):
        # A client that gave up on a hanging answer has closed its end: not an error here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def do_DELETE(self):
        self._serve()

    def _serve(self):
        fake = self.server.fake
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            reply = fake.answer(self.command, self.path, self.headers, body)
        except Exception:
            traceback.print_exc()  # a bug in the fake: show it in the test's captured output
            reply = Reply(500, traceback.format_exc())
        if reply.delay and fake._stopping.wait(reply.delay):
            return  # the server is stopping: drop the answer, as a dead provider would
        text = json.dumps(reply.body) if isinstance(reply.body, dict) else reply.body
        data = text.encode()
        kind = "application/json" if isinstance(reply.body, dict) else "text/plain"
        self.send_response(reply.status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass  # the tests' output is no place for an access log
