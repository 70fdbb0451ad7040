"""An instant as a postmortem shows it: in the reader's zone with its offset, and in UTC (pure).

A postmortem stores aware UTC instants; the web page and the API render them with this, so an
incident that spans a daylight-saving change reads right on both sides of it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def _offset(at: datetime) -> str:
    seconds = int(at.utcoffset().total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def local_and_utc(at: datetime, zone: str | ZoneInfo) -> tuple[str, str]:
    """Return `at` in `zone` with its offset ("2026-10-25 01:50:00 WEST (+01:00)") and in UTC
    ("2026-10-25 00:50:00 UTC"). A naive `at` is a bug: ValueError."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("A postmortem's instants are timezone-aware.")
    zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    local = at.astimezone(zone)
    name = local.tzname() or ""
    named = f"{name} " if name and not name.startswith(("+", "-")) else ""
    return (
        f"{local:%Y-%m-%d %H:%M:%S} {named}({_offset(local)})",
        f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
    )


def duration(delta) -> str:
    """Return a duration as people say it: "42 s", "7 min 5 s", "2 h 3 min"; "" for None."""
    if delta is None:
        return ""
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    return f"{seconds} s"
