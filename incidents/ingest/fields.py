"""Field checks every source's parser shares: lengths the database holds, links worth showing."""

from __future__ import annotations

from urllib.parse import urlsplit

from .base import InvalidPayload

# The column sizes of Alert and Incident: longer values would fail on PostgreSQL, not on SQLite.
DEDUP_KEY_MAX = 255
TITLE_MAX = 1024
URL_MAX = 1000
SEVERITIES = ("critical", "error", "warning", "info")
# A 400 body should name what is wrong, not repeat it for each of ten thousand alerts.
PROBLEMS_SHOWN = 20


def title_cut(text: str) -> str:
    """Return `text` on one stripped line, cut to fit an incident title."""
    text = " ".join(text.split())
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1] + "…"


def web_link(value: object) -> str:
    """Return `value` if it is an http(s) URL that fits the column, else "" (never javascript:)."""
    if not isinstance(value, str) or not value or len(value) > URL_MAX:
        return ""
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    return value if parts.scheme in ("http", "https") and parts.netloc else ""


class Problems:
    """Collect what is wrong with a payload, field by field, and raise them all at once."""

    def __init__(self, source: str):
        self.source = source
        self.fields: dict[str, str] = {}

    def add(self, field: str, problem: str) -> None:
        self.fields.setdefault(field, problem)

    def merge(self, error: InvalidPayload) -> None:
        for field, problem in error.fields.items():
            self.add(field, problem)

    def raise_any(self) -> None:
        """Raise InvalidPayload naming every problem found, if there is one."""
        if not self.fields:
            return
        shown = dict(list(self.fields.items())[:PROBLEMS_SHOWN])
        summary = "; ".join(f"{field}: {problem}" for field, problem in list(shown.items())[:3])
        more = len(self.fields) - 3
        if more > 0:
            summary += f" (and {more} more)"
        raise InvalidPayload(f"Invalid {self.source} payload: {summary}.", shown)
