"""Keep secrets out of every log: tokens in URL paths and bodies, provider tokens, the keys the
process is configured with, in messages, their arguments and exception tracebacks alike."""

from __future__ import annotations

import logging
import re

from django.conf import settings

REDACTED = "[redacted]"

# Each pattern keeps its first group (what the secret is) and replaces the rest.
PATTERNS = (
    # /ical/<token>.ics, /integrations/<kind>/<token>/ and /email/<token>/ carry their secret in
    # the path.
    re.compile(r"(/ical/|/email/|/integrations/[^/\s]+/)[^/\s?.\"'<>]+"),
    # A PagerDuty event names its integration token in the body.
    re.compile(r"""(["']?routing_key["']?\s*[:=]\s*["']?)[^"'\s,&}]+"""),
    # Slack tokens (bot, user, app, refresh).
    re.compile(r"\b(xox[a-z]-|xapp-|xoxe\.xox[a-z]-)[A-Za-z0-9-]+"),
    # A Plantão API token wherever it turns up (pasted into a path or a query string).
    re.compile(r"\b(plt_)[A-Za-z0-9_-]{8,}"),
    # Credentials in headers: API tokens, and Basic auth (which holds Twilio's auth token).
    re.compile(r"(\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}"),
    # A password in a URL (DATABASE_URL, CELERY_BROKER_URL, EMAIL_URL).
    re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+(?=@)"),
)

# Settings whose values are secrets wherever they appear. Short values are left alone: cutting
# every "x" out of a log helps nobody.
SECRET_SETTINGS = (
    "SECRET_KEY",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_AUTH_TOKEN_PREVIOUS",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "EMAIL_HOST_PASSWORD",
)
MIN_SECRET_LENGTH = 8
# What a page viewer or a teammate sees of a contact address.
MASK = "•••"
VISIBLE_TAIL = 4


def _configured_secrets() -> list[str]:
    if not settings.configured:
        return []
    values = (getattr(settings, name, "") for name in SECRET_SETTINGS)
    return [v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH]


def redact(text: str) -> str:
    """Return `text` with every secret it holds replaced by [redacted]."""
    for pattern in PATTERNS:
        text = pattern.sub(rf"\1{REDACTED}", text)
    for secret in _configured_secrets():
        text = text.replace(secret, REDACTED)
    return text


def address_mask(kind: str, address: str) -> str:
    """Return `address` as a page viewer may see it: an e-mail's first letter and domain, the
    last four characters of anything else (a phone number, a Slack member id)."""
    if kind == "email":
        local, at, domain = address.rpartition("@")
        return f"{local[0]}{MASK}@{domain}" if at and local else MASK
    return f"{MASK}{address[-VISIBLE_TAIL:]}" if len(address) > VISIBLE_TAIL else MASK


class RedactSecrets(logging.Filter):
    """A logging filter that redacts the message and its arguments, the exception text and the
    stack of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            # Kept apart: some formatters (uvicorn's access log) read the arguments themselves.
            record.msg = redact(str(record.msg))
            record.args = tuple(_argument_redacted(argument) for argument in record.args)
        else:
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                # A broken format: the handler reports it; still redact what is there.
                record.msg = redact(str(record.msg))
            else:
                record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            # Formatters print exc_text when it is set; this one is clean.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            # Django's error reports print the request; give them nothing secret to print.
            record.request = _RedactedRequest(request)
        return True


def _argument_redacted(argument):
    """Return a log record's argument, or its text redacted if that text holds a secret (URLs,
    requests, exceptions: arguments of any type)."""
    if isinstance(argument, str):
        return redact(argument)
    text = str(argument)
    clean = redact(text)
    return argument if clean == text else clean


class _RedactedRequest:
    def __init__(self, request):
        self._request = request
        self.path = redact(request.path)
        self.path_info = redact(getattr(request, "path_info", ""))

    def __getattr__(self, name):
        return getattr(self._request, name)

    def get_full_path(self, *args, **kwargs):
        return redact(self._request.get_full_path(*args, **kwargs))

    def build_absolute_uri(self, *args, **kwargs):
        return redact(self._request.build_absolute_uri(*args, **kwargs))
