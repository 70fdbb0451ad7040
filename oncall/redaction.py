"""Keep secrets that live in URL paths (calendar, integration and e-mail action tokens) out of
every log."""

import logging
import re

# /ical/<token>.ics, /integrations/<kind>/<token>/ and /email/<token>/ carry their secret in
# the path.
SECRET_IN_PATH = re.compile(r"(/ical/|/email/|/integrations/[^/\s]+/)[^/\s?.\"']+")
REDACTED = r"\1[redacted]"


def redact(text: str) -> str:
    """Return `text` with every secret path segment replaced by [redacted]."""
    return SECRET_IN_PATH.sub(REDACTED, text)


class RedactSecrets(logging.Filter):
    """A logging filter that redacts secret path segments from the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            # Django's error reports print the request; give them nothing secret to print.
            record.request = _RedactedRequest(request)
        return True


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
