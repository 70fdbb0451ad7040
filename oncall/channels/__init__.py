"""Transports for pages: one Channel interface, and channel_for(kind) to pick one.

Channels know nothing of incidents; the incidents layer calls them, never the reverse.
"""

from oncall.channels.base import (
    KINDS,
    Channel,
    ChannelError,
    LookupUnsupported,
    Message,
    OutcomeUnknown,
    SendResult,
)
from oncall.channels.registry import channel_for

__all__ = [
    "KINDS",
    "Channel",
    "ChannelError",
    "LookupUnsupported",
    "Message",
    "OutcomeUnknown",
    "SendResult",
    "channel_for",
]
