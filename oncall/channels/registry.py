"""Pick the channel for each kind of message, from settings read at call time."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from oncall.channels.base import KINDS, Channel
from oncall.channels.console import ConsoleChannel
from oncall.channels.recording import RecordingChannel


def channel_for(kind: str) -> Channel:
    """Return the channel that carries messages of `kind` under the PLANTAO_CHANNEL setting."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}; expected one of {KINDS}")
    # Real providers (Twilio for sms/voice, Slack, e-mail) will be chosen here per kind.
    configured = settings.PLANTAO_CHANNEL
    if configured == "console":
        return ConsoleChannel()
    if configured == "recording":
        return RecordingChannel(settings.PLANTAO_RECORDING_PATH)
    raise ImproperlyConfigured(
        f"PLANTAO_CHANNEL={configured!r} is not a channel; use 'console' or 'recording'"
    )
