"""Pick the channel for each kind of message, from settings read at call time.

PLANTAO_CHANNEL=auto (the default) uses each real provider that is configured (Twilio for SMS
and calls when TWILIO_ACCOUNT_SID is set, SMTP when EMAIL_URL is, Slack when SLACK_BOT_TOKEN
is) and the console for the rest; `console` and `recording` send every kind there, whatever else
is configured.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from oncall.channels.base import KINDS, Channel
from oncall.channels.console import ConsoleChannel
from oncall.channels.recording import RecordingChannel

CHANNELS = ("auto", "console", "recording")


def twilio_configured() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN)


def _twilio(kind: str) -> Channel:
    from oncall.channels.twilio import TwilioSMSChannel, TwilioVoiceChannel

    if kind == "sms":
        channel, per_second = TwilioSMSChannel, settings.TWILIO_SMS_SEGMENTS_PER_SECOND
    else:
        channel, per_second = TwilioVoiceChannel, settings.TWILIO_CALLS_PER_SECOND
    return channel(
        per_second=per_second,
        account_sid=settings.TWILIO_ACCOUNT_SID,
        auth_token=settings.TWILIO_AUTH_TOKEN,
        from_number=settings.TWILIO_FROM_NUMBER,
        public_url=settings.PUBLIC_URL,
        api_base=settings.TWILIO_API_BASE,
    )


def slack_configured() -> bool:
    return bool(settings.SLACK_BOT_TOKEN)


def slack_channel():
    """Return the Slack channel (pages by direct message; the incidents layer posts with it too)."""
    from oncall.channels.slack import SlackChannel

    return SlackChannel(token=settings.SLACK_BOT_TOKEN, api_base=settings.SLACK_API_BASE)


def channel_for(kind: str, *, rehearsal: bool = False) -> Channel:
    """Return the channel that carries messages of `kind` under the PLANTAO_CHANNEL setting;
    with `rehearsal`, the rehearsal channel whatever the setting (it reaches no one)."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}; expected one of {KINDS}")
    if rehearsal:
        from oncall.channels.rehearsal import RehearsalChannel

        return RehearsalChannel(kind)
    configured = settings.PLANTAO_CHANNEL
    if configured == "console":
        return ConsoleChannel()
    if configured == "recording":
        return RecordingChannel(settings.PLANTAO_RECORDING_PATH)
    if configured == "auto":
        if kind in ("sms", "voice") and twilio_configured():
            return _twilio(kind)
        if kind == "email" and settings.EMAIL_CONFIGURED:
            from oncall.channels.email import EmailChannel

            return EmailChannel()
        if kind == "slack" and slack_configured():
            return slack_channel()
        # What is not configured goes to the log.
        return ConsoleChannel()
    raise ImproperlyConfigured(
        f"PLANTAO_CHANNEL={configured!r} is not a channel; use one of {', '.join(CHANNELS)}"
    )
