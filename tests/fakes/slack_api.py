"""A fake of Slack's Web API, as `slack_sdk.WebClient(base_url=...)` calls it, and of the
response_url Slack hands to interactive components.

Slack answers most errors with HTTP 200 and {"ok": false, "error": ...}; slack_sdk turns any
answer that is not a 200 with "ok": true into SlackApiError.
"""

import hashlib
import itertools
import json
import threading
from collections.abc import Callable
from urllib.parse import quote

from tests.fakes.outcomes import Outcome, Outcomes, Reply

OUTCOMES = frozenset({"ok", "429", "500", "error", "hang"})
TEAM_ID, BOT_USER_ID, BOT_ID = "T0PLANTAO", "U0PLANTAO", "B0PLANTAO"


def ok(**fields) -> Reply:
    return Reply(200, {"ok": True, **fields})


def failed(error: str) -> Reply:
    return Reply(200, {"ok": False, "error": error})


def direct_channel(user: str) -> str:
    """Return the id of the direct-message channel with `user`, derived from the user's id."""
    return "D" + user[1:]


class FakeSlack:
    """Slack's side of the fake server: every Web API call received, every response_url post."""

    def __init__(self, *, token: str, lock: threading.RLock, now: Callable):
        self.token = token
        self.calls: list[dict] = []
        self.responses: dict[str, list] = {}
        self.base_url = ""  # the server's, known once it listens
        self._lock = lock
        self._now = now
        self._outcomes = Outcomes(lock, OUTCOMES)
        self._sequence = itertools.count(1)
        self._methods = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update,
            "conversations.open": self._open,
        }

    def script(self, *outcomes: Outcome) -> None:
        """Queue outcomes for the next Web API calls, then back to "ok"."""
        self._outcomes.script(*outcomes)

    def fault_rate(self, rate: float, *, seed: int | None = None, hang: float = 3.0) -> None:
        """Fail each unscripted call with probability `rate`: a 500, a 429 or a hang."""
        self._outcomes.fault_rate(rate, seed=seed, hang=hang)

    def response_url(self, key: str) -> str:
        """Return a response_url on the fake whose posts are kept in `responses[key]`."""
        with self._lock:
            self.responses.setdefault(key, [])
        return f"{self.base_url}/slack/response/{quote(key, safe='')}"

    def reset(self) -> None:
        """Forget every call, response and scripted outcome."""
        with self._lock:
            self.calls.clear()
            self.responses.clear()
            self._outcomes.clear()

    def handle(self, method: str, params: dict, authorization: str | None) -> Reply:
        """Answer one Web API call: record it, check the token, then apply the next outcome."""
        with self._lock:
            self.calls.append({"method": method, **params})
        scheme, _, token = (authorization or "").partition(" ")
        token = token if scheme.lower() == "bearer" else params.get("token")
        if not token:
            return failed("not_authed")
        if token != self.token:
            return failed("invalid_auth")
        answer = self._methods.get(method)
        if answer is None:
            return failed("unknown_method")
        outcome, argument = self._outcomes.next()
        if outcome == "429":
            return Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
        if outcome == "500":
            return Reply(500, {"ok": False, "error": "fatal_error"})
        if outcome == "error":
            return failed(argument)
        reply = answer(params)
        reply.delay = argument if outcome == "hang" else 0.0
        return reply

    def handle_response(self, key: str, body: bytes) -> Reply:
        """Keep a JSON post to the response_url named `key`; answer as Slack does, "ok"."""
        try:
            payload = json.loads(body)
        except ValueError:
            return Reply(400, "invalid_payload")
        with self._lock:
            self.responses.setdefault(key, []).append(payload)
        return Reply(200, "ok")

    def _ts(self) -> str:
        with self._lock:
            return f"{int(self._now().timestamp())}.{next(self._sequence):06d}"

    def _auth_test(self, params: dict) -> Reply:
        return ok(
            url="https://plantao-fake.slack.com/",
            team="Plantão",
            user="plantao",
            team_id=TEAM_ID,
            user_id=BOT_USER_ID,
            bot_id=BOT_ID,
        )

    def _post_message(self, params: dict) -> Reply:
        channel = params.get("channel")
        if not channel:
            return failed("channel_not_found")
        if not any(params.get(name) for name in ("text", "blocks", "attachments")):
            return failed("no_text")
        ts = self._ts()
        # A post to a user's id lands in the direct-message channel with them.
        channel = direct_channel(channel) if channel.startswith("U") else channel
        return ok(channel=channel, ts=ts, message=self._message(params, ts))

    def _post_ephemeral(self, params: dict) -> Reply:
        if not params.get("channel"):
            return failed("channel_not_found")
        if not params.get("user"):
            return failed("user_not_in_channel")
        return ok(message_ts=self._ts())

    def _update(self, params: dict) -> Reply:
        if not params.get("channel"):
            return failed("channel_not_found")
        if not params.get("ts"):
            return failed("message_not_found")
        ts = params["ts"]
        return ok(
            channel=params["channel"],
            ts=ts,
            text=params.get("text", ""),
            message=self._message(params, ts),
        )

    def _open(self, params: dict) -> Reply:
        users = [user for user in str(params.get("users", "")).split(",") if user]
        if not users:
            return failed("users_list_not_supplied")
        if len(users) == 1:
            return ok(channel={"id": direct_channel(users[0])})
        # A group direct message: one id per set of people.
        digest = hashlib.sha256(",".join(sorted(users)).encode()).hexdigest()[:10].upper()
        return ok(channel={"id": "G" + digest})

    def _message(self, params: dict, ts: str) -> dict:
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts}
        message["text"] = params.get("text", "")
        extra = ("blocks", "attachments", "thread_ts")
        return message | {name: params[name] for name in extra if name in params}
