"""What every source's parser turns a request into: a list of alert events."""

from __future__ import annotations

from dataclasses import dataclass, field


class InvalidPayload(ValueError):
    """A request body that cannot be understood; `fields` names what is wrong, for a 400."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


@dataclass(frozen=True)
class AlertEvent:
    """One thing monitoring said about one alert."""

    action: str  # "trigger" | "acknowledge" | "resolve"
    dedup_key: str | None  # None on a trigger: Plantão makes one up and returns it
    title: str = ""
    severity: str = "error"  # critical | error | warning | info
    details: dict = field(default_factory=dict)
    source_url: str = ""
    payload: dict = field(default_factory=dict)  # the part of the request about this alert
