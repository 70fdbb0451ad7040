"""The name an incident's noise is counted under (pure): the alertname label, else the title,
else the dedup key."""

from __future__ import annotations

MAX_LENGTH = 255


def alert_name_of(*, details: dict | None, title: str, dedup_key: str) -> str:
    """Return the alert name of an incident opened with `details`, `title` and `dedup_key`."""
    labels = details.get("labels") if isinstance(details, dict) else None
    name = labels.get("alertname") if isinstance(labels, dict) else None
    if not isinstance(name, str) or not name.strip():
        name = title.strip() or dedup_key
    return name.strip()[:MAX_LENGTH]
