"""Twilio SMS through the `twilio` library: send a page, find an earlier send, check signatures.

Every REST call goes to TWILIO_API_BASE when it is set (a relay, or the tests' fake server).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from oncall.channels.base import Channel, ChannelError, Message, OutcomeUnknown, SendResult

log = logging.getLogger(__name__)

# A page still queued at Twilio after this long is dropped there, and its status callback says
# so: a page that would arrive an hour late fails instead, and the next contact method goes.
VALIDITY_SECONDS = 600
TIMEOUT_SECONDS = 10.0
CLOCK_SKEW = timedelta(minutes=2)  # between our clock and Twilio's, when looking a send up


def signature_valid(*, url: str, params: dict, signature: str, tokens: list[str]) -> bool:
    """Return whether `signature` is Twilio's for `url` and `params` under any of `tokens`
    (the current auth token and, during a rotation, the previous one)."""
    if not signature:
        return False
    return any(
        RequestValidator(token).validate(url, params, signature) for token in tokens if token
    )


class TwilioSMSChannel(Channel):
    """Pages by SMS. A refused send raises ChannelError (retryable when Twilio said "later");
    a send that may have happened (a 5xx, a timeout) raises OutcomeUnknown, and is looked up,
    never blindly repeated."""

    name = "twilio-sms"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str,
        status_callback: str,
        api_base: str = "",
        timeout: float | None = None,
    ):
        self.from_number = from_number
        self.status_callback = status_callback
        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if api_base:
            self.client.api.base_url = api_base.rstrip("/")

    def _callback(self, reference: str) -> str:
        # The page is named in the callback URL (which Twilio signs): a callback that overtakes
        # our own record of the send still finds its page.
        return f"{self.status_callback}?page={reference.removeprefix('page-')}"

    def send(self, message: Message) -> SendResult:
        try:
            sent = self.client.messages.create(
                to=message.address,
                from_=self.from_number,
                body=message.body,
                status_callback=self._callback(message.reference),
                validity_period=VALIDITY_SECONDS,
            )
        except TwilioRestException as error:
            raise _refusal(error) from error
        except requests.ConnectionError as error:
            if isinstance(error, requests.ConnectTimeout) or _never_connected(error):
                raise ChannelError("Twilio unreachable", retryable=True) from error
            raise OutcomeUnknown(f"connection to Twilio lost: {type(error).__name__}") from error
        except requests.Timeout as error:
            raise OutcomeUnknown("Twilio did not answer in time") from error
        return SendResult(provider_id=sent.sid, status="sent")

    def lookup(
        self, reference: str, *, message: Message | None = None, since: datetime | None = None
    ) -> SendResult | None:
        """Find a send of `message` made since `since`: the same body to the same number.

        Two identical texts to one number within the same minutes are the same page for the
        person reading them, so taking one for the other repeats nothing they would notice.
        """
        if message is None or since is None:
            return None
        try:
            found = self.client.messages.list(
                to=message.address, date_sent_after=since - CLOCK_SKEW, limit=50
            )
        except (TwilioRestException, requests.RequestException) as error:
            raise OutcomeUnknown(f"cannot look the send up: {type(error).__name__}") from error
        for sent in found:
            if sent.body == message.body and sent.from_ == self.from_number:
                status = "delivered" if sent.status == "delivered" else "sent"
                return SendResult(provider_id=sent.sid, status=status)
        return None


def _never_connected(error: requests.ConnectionError) -> bool:
    return "Connection refused" in str(error) or "Name or service not known" in str(error)


def _refusal(error: TwilioRestException) -> Exception:
    if error.status == 429:
        return ChannelError("Twilio is rate limiting (429)", retryable=True)
    if error.status >= 500:
        return OutcomeUnknown(f"Twilio answered {error.status}")
    code = f" {error.code}" if error.code else ""
    return ChannelError(f"Twilio error{code}: {error.msg}".strip(), retryable=False)
