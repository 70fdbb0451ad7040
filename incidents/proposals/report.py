"""A stored proposal's answer as plain text, for `manage.py rota propose` (no Django here).

Shifts are listed per day in the schedule's zone, compactly; the fairness table sets each
person's figures (proposal / round-robin) beside the team mean.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from incidents.proposals.results import CLASSES

TITLES = {"hours": "on call", "night": "night", "weekend": "weekend", "holiday": "holiday"}


def report_lines(result: dict, *, schedule: str, time_zone: str, since, until) -> list[str]:
    """Return the whole report of `result`, one line each."""
    zone = ZoneInfo(time_zone)
    solver = result["solver"]
    weeks = (until - since).days / 7
    lines = [
        f"Fair rota proposal for {schedule}: {_when(since, zone)} to {_when(until, zone)} "
        f"({weeks:g} week{'s' * (weeks != 1)}, times in {time_zone})",
        f"Solver: {solver['status']} in {solver['wall_seconds']:.1f} s "
        f"(time limit {solver['time_limit_seconds']:g} s), gap to bound "
        f"{solver['gap'] * 100:.1f}% "
        f"(objective {solver['objective']:g}, bound {solver['bound']:g})",
        "",
        "Shifts:",
        *(f"  {line}" for line in shift_lines(result["shifts"], zone)),
        "",
        *fairness_lines(result),
        "",
    ]
    if result["uncovered"]:
        lines.append("Uncovered hours:")
        for gap in result["uncovered"]:
            start, end = _parse(gap["start"]), _parse(gap["end"])
            lines.append(
                f"  {_when(start, zone)} to {_when(end, zone)} ({gap['layer']}): {gap['reason']}"
            )
    else:
        lines.append("Uncovered hours: none.")
    lines += ["", "Rules held:", *(f"  - {rule}" for rule in result["rules_held"])]
    return lines


def shift_lines(shifts: list[dict], zone: ZoneInfo) -> list[str]:
    """Return one line per local day: `Mon 04 Jan  00:00-08:00 Ana · 08:00-24:00 Bruno`."""
    days: dict[date, list[str]] = {}
    for shift in shifts:
        start, end = _parse(shift["start"]).astimezone(zone), _parse(shift["end"]).astimezone(zone)
        name = shift["name"] or "nobody (uncovered)"
        day = start.date()
        while day <= end.date():
            lo = max(start, datetime.combine(day, datetime.min.time(), zone))
            hi = min(end, datetime.combine(day + timedelta(days=1), datetime.min.time(), zone))
            if lo < hi:
                stop = "24:00" if hi.date() > day else f"{hi:%H:%M}"
                days.setdefault(day, []).append(f"{lo:%H:%M}-{stop} {name}")
            day += timedelta(days=1)
    return [f"{day:%a %d %b}  {' · '.join(pieces)}" for day, pieces in sorted(days.items())]


def fairness_lines(result: dict) -> list[str]:
    """Return the fairness table: hours per class, proposal / round-robin, and the team mean."""
    people = result["people"]
    width = max([len(p["name"]) for p in people] + [len("Team mean"), 6])
    header = f"  {'person':<{width}}" + "".join(f"  {TITLES[c]:>17}" for c in CLASSES)
    lines = [
        "Fairness, hours over the horizon: proposal / round-robin "
        "(past 90 days: night hours, pages):",
        header,
    ]
    for person in people:
        cells = "".join(
            f"  {_pair(person['proposed'][c], person['baseline'][c]):>17}" for c in CLASSES
        )
        past = f"  past {person['past']['night']:g} h night, {person['past_pages']} pages"
        lines.append(f"  {person['name']:<{width}}{cells}{past}")
    mean = result["mean"]
    lines.append(f"  {'Team mean':<{width}}" + "".join(f"  {mean[c]:>17.1f}" for c in CLASSES))
    spread, base = result["spread"], result["baseline_spread"]
    lines.append(
        f"  {'Spread':<{width}}" + "".join(f"  {_pair(spread[c], base[c]):>17}" for c in CLASSES)
    )
    return lines


def _pair(proposed: float, baseline: float) -> str:
    return f"{proposed:g} / {baseline:g}"


def _parse(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _when(at: datetime, zone: ZoneInfo) -> str:
    return f"{at.astimezone(zone):%a %d %b %Y %H:%M}"
