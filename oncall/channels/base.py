"""The one interface every transport implements: send a message, look up an earlier send."""

import abc
from dataclasses import dataclass
from datetime import datetime

KINDS = ("sms", "voice", "email", "slack")


@dataclass(frozen=True)
class Message:
    """One page to one address. `reference` is our unique id for the send, for idempotency."""

    reference: str
    kind: str
    address: str
    subject: str
    body: str
    # What any text carrying this message contains (its incident number, "#42"), even when it
    # went out bundled with others: how a provider's record of it is recognised.
    mentions: tuple[str, ...] = ()
    # The references of other pages this message carries too (several incidents in one text).
    also: tuple[str, ...] = ()
    # A web page about the message (its incident's), for channels that can show a link; an SMS
    # leaves it out to stay one segment.
    link: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown message kind {self.kind!r}; expected one of {KINDS}")


@dataclass(frozen=True)
class Pace:
    """What a send costs its provider's throughput limit: `seconds` of the sender `sender`
    (a sending number, an account)."""

    sender: str
    seconds: float


@dataclass(frozen=True)
class SendResult:
    """What the provider told us about a send: its own id, and "sent" or "delivered"."""

    provider_id: str
    status: str


class ChannelError(Exception):
    """The send certainly did not happen: the provider refused it, or it never left us."""

    def __init__(self, reason: str, *, retryable: bool):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class OutcomeUnknown(Exception):
    """The send may or may not have happened, e.g. a timeout after the request left."""


class LookupUnsupported(Exception):
    """The channel cannot tell whether an earlier send reached the provider."""


class Channel(abc.ABC):
    """A transport for messages. It knows nothing of incidents, only of messages."""

    name: str

    @abc.abstractmethod
    def send(self, message: Message) -> SendResult:
        """Send `message`; raise ChannelError if it surely failed, OutcomeUnknown if unsure."""

    def pace(self, message: Message) -> Pace | None:
        """Return what sending `message` costs the provider's throughput limit (its sender and
        seconds), or None when the channel has none to keep."""
        return None

    def lookup(
        self, reference: str, *, message: Message | None = None, since: datetime | None = None
    ) -> SendResult | None:
        """Return what the provider knows of the send with `reference` (of `message`, attempted
        after `since`), None if it never arrived.

        Raise LookupUnsupported when the channel cannot tell; that is the default, so a channel
        claims it can reconcile only by overriding this. Raise OutcomeUnknown when the provider
        cannot be asked right now.
        """
        raise LookupUnsupported(self.name)
