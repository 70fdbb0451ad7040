"""What a rota proposal is asked for: the horizon (weeks from a start) and the solver's rules.

No Django here, and no clock: `now` is passed in. Options come from a command line, a form or a
JSON body, as strings or numbers; `options_parse` checks them all and names every bad field
(OptionsError), and `options_json` gives the stored form that parses back to the same options.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from oncall.rota.fair import Rules

MAX_WEEKS = 26
COVERAGES = ("layers", "always")
# The rules a caller may set, with their bounds: (type, lowest, highest).
RULE_BOUNDS: dict[str, tuple[type, float, float]] = {
    "min_shift_hours": (int, 1, 24),
    "max_shift_hours": (int, 1, 168),
    "min_rest_hours": (int, 0, 72),
    "max_consecutive_days": (int, 1, 31),
    "avoid_sleep": (bool, 0, 1),
    "past_weight": (float, 0, 1),
    "time_limit_seconds": (float, 1, 120),  # a solve holds a worker process this long
    "seed": (int, 0, 2**31 - 1),
    "workers": (int, 1, 16),
}


class OptionsError(ValueError):
    """Options that cannot be used: `errors` maps each bad field to what is wrong with it."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Options:
    weeks: int = 1
    start: date | datetime | None = None  # None: the next Monday in the schedule's zone
    coverage: str = "layers"  # "layers": when the layers are active; "always": every hour
    rules: Rules = field(default_factory=Rules)


def options_parse(raw: Mapping) -> Options:
    """Return the options in `raw` (weeks, start, coverage, and any rule by its name)."""
    errors: dict[str, list[str]] = {}
    known = {"weeks", "start", "coverage", *RULE_BOUNDS}
    for name in raw:
        if name not in known:
            errors[name] = [f"Unknown option; use one of {', '.join(sorted(known))}."]
    weeks = _number(raw.get("weeks", 1), int, 1, MAX_WEEKS, "weeks", errors)
    start = _start(raw.get("start"), errors)
    coverage = raw.get("coverage") or "layers"
    if coverage not in COVERAGES:
        errors["coverage"] = [f"Use one of {', '.join(COVERAGES)}."]
    rules = {}
    for name, (kind, low, high) in RULE_BOUNDS.items():
        if raw.get(name) not in (None, ""):
            rules[name] = _number(raw[name], kind, low, high, name, errors)
    if not errors and rules.get("min_shift_hours", Rules.min_shift_hours) > rules.get(
        "max_shift_hours", Rules.max_shift_hours
    ):
        errors["max_shift_hours"] = ["Must be at least min_shift_hours."]
    if errors:
        raise OptionsError(errors)
    return Options(weeks=weeks, start=start, coverage=coverage, rules=replace(Rules(), **rules))


def options_json(options: Options) -> dict:
    """Return `options` as JSON values: the rules that differ from the defaults only."""
    start = options.start.isoformat() if options.start is not None else None
    defaults = Rules()
    rules = {
        f.name: getattr(options.rules, f.name)
        for f in fields(Rules)
        if getattr(options.rules, f.name) != getattr(defaults, f.name)
    }
    return {"weeks": options.weeks, "start": start, "coverage": options.coverage, **rules}


def horizon_of(options: Options, *, time_zone: str, now: datetime) -> tuple[datetime, datetime]:
    """Return [since, until) in UTC, in whole hours: `weeks` weeks of the schedule's wall clock
    from the start (a date: its midnight there; none: the next Monday's midnight after `now`).

    A start that is not on the hour (or a zone whose midnight is not) is rounded down to it.
    """
    zone = ZoneInfo(time_zone)
    start = options.start
    if start is None:
        today = now.astimezone(zone).date()
        start = today + timedelta(days=7 - today.weekday())
    if isinstance(start, datetime):
        local = start.astimezone(zone)
    else:
        local = datetime.combine(start, time(0), zone)
    end = datetime.combine(local.date() + timedelta(weeks=options.weeks), local.time(), zone)
    return _hour(local), _hour(end)


def _hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _start(value, errors) -> date | datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        return value
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            errors["start"] = ["Give a date (YYYY-MM-DD) or an ISO-8601 time with its offset."]
            return None
    if len(str(value)) == 10 and not isinstance(value, datetime):
        return parsed.date()
    if parsed.utcoffset() is None:
        errors["start"] = ["Give the time's offset (e.g. 2027-01-04T00:00:00+00:00), or a date."]
        return None
    return parsed


def _number(value, kind: type, low: float, high: float, name: str, errors):
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
                raise ValueError
            return text in {"true", "1", "yes", "on"}
        if isinstance(value, bool):
            raise ValueError
        number = kind(value)
        if kind is int and isinstance(value, float) and value != number:
            raise ValueError
    except (TypeError, ValueError):
        errors[name] = [f"Give {'true or false' if kind is bool else 'a number'}."]
        return None
    if not low <= number <= high:
        errors[name] = [f"Give a number from {low:g} to {high:g}."]
        return None
    return number
