"""What every write of the lower layer checks the same way."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError


def require_aware(**instants: datetime | None) -> None:
    naive = [
        name for name, value in instants.items() if value is not None and value.utcoffset() is None
    ]
    if naive:
        raise ValidationError(
            {name: "Give a time zone (for example 2026-03-29T09:00:00+01:00)." for name in naive}
        )
