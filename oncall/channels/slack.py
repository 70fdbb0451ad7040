"""Slack through `slack_sdk`: page a person by direct message with answer buttons, post and
update channel messages, answer on a response_url, and check Slack's request signatures.

Every Web API call goes to SLACK_API_BASE when it is set (a relay, or the tests' fake server).
The SDK's own retries are off: chat.postMessage is not idempotent, so what follows a failure is
decided here, as for Twilio: "later" is a retryable ChannelError, "maybe sent" OutcomeUnknown.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import socket
from datetime import datetime
from http.client import HTTPException
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from oncall.channels.base import Channel, ChannelError, Message, OutcomeUnknown, SendResult
from oncall.channels.slack_blocks import page_content

TIMEOUT_SECONDS = 10
MAX_REQUEST_AGE_SECONDS = 300  # Slack's advice: refuse a signed request older than five minutes
DIGITS = re.compile(r"[0-9]{1,12}")

# Errors Slack reports with `ok: false`: "try later" (nothing was done), and "it may have acted".
LATER = frozenset({"ratelimited", "service_unavailable", "request_timeout"})
UNSURE = frozenset({"fatal_error", "internal_error"})


def signature_valid(*, body: bytes, timestamp: str, signature: str, secret: str) -> bool:
    """Return whether `signature` is Slack's v0 signature of `timestamp` and `body` with `secret`:
    HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    if not (secret and signature and DIGITS.fullmatch(timestamp)):
        return False
    signed = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def timestamp_fresh(*, timestamp: str, now: datetime) -> bool:
    """Return whether a request's timestamp is within five minutes of `now` (no replays)."""
    return (
        bool(DIGITS.fullmatch(timestamp))
        and abs(now.timestamp() - int(timestamp)) <= MAX_REQUEST_AGE_SECONDS
    )


class SlackChannel(Channel):
    """Pages by direct message, and the channel messages and answers of the incidents layer.

    A refused call raises ChannelError (retryable when Slack said "later", or when nothing can
    have been done: opening a conversation, updating a message); a post that may have happened
    (a 5xx, a timeout) raises OutcomeUnknown. Slack cannot be asked whether a post arrived, so
    `lookup` is unsupported: a page of unknown outcome fails rather than goes twice.
    """

    name = "slack"

    def __init__(self, *, token: str, api_base: str = "", timeout: float | None = None):
        self.timeout = TIMEOUT_SECONDS if timeout is None else timeout
        base = {"base_url": api_base} if api_base else {}
        self.client = WebClient(token=token, timeout=self.timeout, retry_handlers=[], **base)

    def send(self, message: Message) -> SendResult:
        """Send the page to the member `message.address`, in their direct messages with us."""
        opened = self._call("conversations_open", users=message.address)
        posted = self._call(
            "chat_postMessage",
            maybe_done=True,
            channel=opened["channel"]["id"],
            **page_content(message),
        )
        return SendResult(provider_id=f"{posted['channel']}/{posted['ts']}", status="sent")

    def post(self, *, channel: str, text: str, blocks: list[dict]) -> tuple[str, str]:
        """Post a message in `channel`; return (channel id, ts), which name it for updates."""
        posted = self._call(
            "chat_postMessage", maybe_done=True, channel=channel, text=text, blocks=blocks
        )
        return posted["channel"], posted["ts"]

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict]) -> None:
        """Replace the text and blocks of a message posted earlier (doing it twice is harmless)."""
        self._call("chat_update", channel=channel, ts=ts, text=text, blocks=blocks)

    def respond(self, url: str, payload: dict) -> None:
        """Post `payload` to the response_url Slack gave with an interaction."""
        try:
            answer = WebhookClient(url, timeout=self.timeout, retry_handlers=[]).send_dict(payload)
        except (OSError, HTTPException) as error:
            raise ChannelError(
                f"no answer from Slack ({type(error).__name__})", retryable=True
            ) from error
        if answer.status_code == 429 or answer.status_code >= 500:
            raise ChannelError(f"Slack answered {answer.status_code}", retryable=True)
        if answer.status_code != 200:
            raise ChannelError(f"Slack refused the answer: {answer.body[:100]}", retryable=False)

    def _call(self, method: str, *, maybe_done: bool = False, **arguments):
        """Call a Web API method; `maybe_done`: a failure after the request left may mean it was
        carried out (a post), so it is an unknown outcome rather than a try-again."""
        try:
            return getattr(self.client, method)(**arguments)
        except SlackApiError as error:
            raise _refusal(error, maybe_done=maybe_done) from error
        except (OSError, HTTPException) as error:
            if not maybe_done or _never_connected(error):
                raise ChannelError(
                    f"no answer from Slack ({type(error).__name__})", retryable=True
                ) from error
            raise OutcomeUnknown(f"Slack did not answer: {type(error).__name__}") from error


def _never_connected(error: Exception) -> bool:
    # urllib wraps in URLError what fails before the request is sent: refused, unknown host,
    # connect timeout. A timeout while waiting for the answer comes unwrapped.
    reason = getattr(error, "reason", None)
    return isinstance(error, URLError) and isinstance(
        reason, ConnectionRefusedError | socket.gaierror | TimeoutError
    )


def _refusal(error: SlackApiError, *, maybe_done: bool) -> Exception:
    status = error.response.status_code
    data = error.response.data if isinstance(error.response.data, dict) else {}
    code = str(data.get("error") or status)
    if status == 429 or code in LATER:
        return ChannelError(f"Slack is rate limiting ({code})", retryable=True)
    if status >= 500 or code in UNSURE:
        if maybe_done:
            return OutcomeUnknown(f"Slack answered {status} ({code})")
        return ChannelError(f"Slack answered {status} ({code})", retryable=True)
    return ChannelError(f"Slack error: {code}", retryable=False)
