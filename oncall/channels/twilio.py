"""Twilio SMS and calls through the `twilio` library: send a page, find an earlier send, check
signatures.

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

from oncall.channels.base import (
    Channel,
    ChannelError,
    Message,
    OutcomeUnknown,
    Pace,
    SendResult,
)
from oncall.channels.gsm import sms_segments

log = logging.getLogger(__name__)

# A page still queued at Twilio after this long is dropped there, and its status callback says
# so: a page that would arrive an hour late fails instead, and the next contact method goes.
VALIDITY_SECONDS = 600
TIMEOUT_SECONDS = 10.0
CLOCK_SKEW = timedelta(minutes=2)  # between our clock and Twilio's, when looking a send up
RING_SECONDS = 30  # how long a paging call rings before Twilio reports no-answer


def signature_valid(*, url: str, params: dict, signature: str, tokens: list[str]) -> bool:
    """Return whether `signature` is Twilio's for `url` and `params` under any of `tokens`
    (the current auth token and, during a rotation, the previous one)."""
    if not signature:
        return False
    return any(
        RequestValidator(token).validate(url, params, signature) for token in tokens if token
    )


class _TwilioChannel(Channel):
    """What SMS and calls share: the client (pointed at TWILIO_API_BASE when set), the number
    pages come from, and the status callback URL, which names the page."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str,
        public_url: str,
        api_base: str = "",
        timeout: float | None = None,
        per_second: float = 0,
    ):
        self.account_sid = account_sid
        self.per_second = per_second  # the provider's throughput limit; 0: none kept here
        self.from_number = from_number
        self.public_url = public_url.rstrip("/")
        self.client = Client(
            account_sid,
            auth_token,
            http_client=TwilioHttpClient(timeout=timeout or TIMEOUT_SECONDS),
        )
        if api_base:
            self.client.api.base_url = api_base.rstrip("/")

    def _create(self, create, **fields):
        try:
            return create(from_=self.from_number, **fields)
        except TwilioRestException as error:
            raise _refusal(error) from error
        except requests.ConnectionError as error:
            if isinstance(error, requests.ConnectTimeout) or _never_connected(error):
                raise ChannelError("Twilio unreachable", retryable=True) from error
            raise OutcomeUnknown(f"connection to Twilio lost: {type(error).__name__}") from error
        except requests.Timeout as error:
            raise OutcomeUnknown("Twilio did not answer in time") from error

    def _listed(self, lister, **filters):
        try:
            return lister(**filters, limit=50)
        except (TwilioRestException, requests.RequestException) as error:
            raise OutcomeUnknown(f"cannot look the send up: {type(error).__name__}") from error


class TwilioSMSChannel(_TwilioChannel):
    """Pages by SMS. A refused send raises ChannelError (retryable when Twilio said "later");
    a send that may have happened (a 5xx, a timeout) raises OutcomeUnknown, and is looked up,
    never blindly repeated."""

    name = "twilio-sms"

    def send(self, message: Message) -> SendResult:
        sent = self._create(
            self.client.messages.create,
            to=message.address,
            body=message.body,
            status_callback=status_callback_url(self.public_url, message.reference),
            validity_period=VALIDITY_SECONDS,
        )
        return SendResult(provider_id=sent.sid, status="sent")

    def pace(self, message: Message) -> Pace | None:
        """Each segment takes its share of the sending number's segments a second."""
        if not self.per_second:
            return None
        segments = sms_segments(message.body)
        return Pace(f"twilio-sms:{self.from_number}", segments / self.per_second)

    def lookup(
        self, reference: str, *, message: Message | None = None, since: datetime | None = None
    ) -> SendResult | None:
        """Find a send of `message` made since `since`: the same body to the same number.

        Two identical texts to one number within the same minutes are the same page for the
        person reading them, so taking one for the other repeats nothing they would notice.
        """
        if message is None or since is None:
            return None
        found = self._listed(
            self.client.messages.list, to=message.address, date_sent_after=since - CLOCK_SKEW
        )
        for sent in found:
            same = sent.body == message.body or (
                message.mentions and all(m in (sent.body or "") for m in message.mentions)
            )
            if same and sent.from_ == self.from_number:
                status = "delivered" if sent.status == "delivered" else "sent"
                return SendResult(provider_id=sent.sid, status=status)
        return None


class TwilioVoiceChannel(_TwilioChannel):
    """Pages by phone call. The call fetches what to say from /twilio/voice/<page>/ (TwiML: the
    incident, then 4 to acknowledge, 6 to resolve, * to repeat); answering-machine detection
    tells a voicemail from a person; busy, no answer or failure come back as status callbacks."""

    name = "twilio-voice"

    def send(self, message: Message) -> SendResult:
        page = message.reference.removeprefix("page-")
        call = self._create(
            self.client.calls.create,
            to=message.address,
            url=f"{self.public_url}/twilio/voice/{page}/",
            status_callback=status_callback_url(self.public_url, message.reference),
            machine_detection="Enable",
            timeout=RING_SECONDS,
        )
        return SendResult(provider_id=call.sid, status="sent")

    def pace(self, message: Message) -> Pace | None:
        """Each call takes its share of the account's calls a second."""
        if not self.per_second:
            return None
        return Pace(f"twilio-calls:{self.account_sid}", 1 / self.per_second)

    def lookup(
        self, reference: str, *, message: Message | None = None, since: datetime | None = None
    ) -> SendResult | None:
        """Find a call to the page's number placed since `since` (a call carries no text to
        match: any call from us to that number then reached the same phone)."""
        if message is None or since is None:
            return None
        found = self._listed(
            self.client.calls.list,
            to=message.address,
            from_=self.from_number,
            start_time_after=since - CLOCK_SKEW,
        )
        return SendResult(provider_id=found[0].sid, status="sent") if found else None


def status_callback_url(public_url: str, reference: str) -> str:
    # The page is named in the callback URL (which Twilio signs): a callback that overtakes our
    # own record of the send still finds its page.
    return f"{public_url}/twilio/status/?page={reference.removeprefix('page-')}"


def _never_connected(error: requests.ConnectionError) -> bool:
    return "Connection refused" in str(error) or "Name or service not known" in str(error)


def _refusal(error: TwilioRestException) -> Exception:
    if error.status == 429:
        return ChannelError("Twilio is rate limiting (429)", retryable=True)
    if error.status >= 500:
        return OutcomeUnknown(f"Twilio answered {error.status}")
    code = f" {error.code}" if error.code else ""
    return ChannelError(f"Twilio error{code}: {error.msg}".strip(), retryable=False)
