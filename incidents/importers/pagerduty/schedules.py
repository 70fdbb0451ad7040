"""PagerDuty schedules as the file's schedules: layers, restrictions and overrides.

What PagerDuty means, and how it is carried:
- `schedule_layers` come from GET highest first (the layer that wins listed first: the reverse
  of the order a POST takes them); the file lists layers lowest first, so they are reversed.
- A layer is computed in the schedule's time zone, and a handoff keeps its wall-clock time across
  a DST change: a turn of whole days or weeks is a turn of calendar days or weeks there. A turn of
  whole hours is elapsed time in Plantão, which is the same only in a zone without DST.
  Turns of whole hours dividing a day are carried exactly as one daily layer per slot.
- Restrictions (`start_time_of_day`, `duration_seconds`, ISO `start_day_of_week`) are in the
  schedule's zone too, as the file's are in the layer's zone.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from incidents.configuration import schema
from incidents.importers.result import Import

HOUR, DAY, WEEK = 3600, 86_400, 604_800


def schedule_of(
    imported: Import, given: dict, name: str, team: str, emails: dict, overrides: list
) -> dict:
    """Return the file's schedule for PagerDuty's `given` (a GET /schedules/{id} answer)."""
    zone = given.get("time_zone") or "UTC"
    if not _known(zone):
        imported.skip("schedule", name, f"time zone {zone!r} is unknown here; read as UTC")
        zone = "UTC"
    layers = []
    for layer in reversed(given.get("schedule_layers") or []):
        layers += _layers(imported, layer, name, zone, emails)
    return {
        "name": name,
        "team": team,
        "time_zone": zone,
        "description": given.get("description") or "",
        "layers": layers,
        "overrides": _overrides(imported, overrides, name, emails),
    }


def _layers(imported: Import, layer: dict, schedule: str, zone: str, emails: dict) -> list:
    """Return the file's layers for one PagerDuty layer: one, or none when it cannot be carried,
    or one a slot when hour turns in a zone with DST are better said as daily turns."""
    label = f"{schedule} / {layer.get('name') or layer.get('id')}"
    participants = []
    for entry in layer.get("users") or []:
        user_id = (entry.get("user") or entry).get("id")
        if user_id in emails:
            participants.append(emails[user_id])
        else:
            imported.skip("layer participant", label, f"user {user_id} is not among the users")
    if not participants:
        imported.skip("schedule layer", label, "no users: nobody to put on call")
        return []
    seconds = int(layer.get("rotation_turn_length_seconds") or 0)
    turn = _turn(seconds, zone)
    if turn is None:
        imported.skip(
            "schedule layer",
            label,
            f"turns of {seconds} seconds: Plantão's turns are whole hours, days or weeks",
        )
        return []
    unit, count, exact = turn
    restrictions = []
    for restriction in layer.get("restrictions") or []:
        converted = _restriction(restriction)
        if converted is None:
            imported.skip(
                "layer restriction",
                label,
                f"{restriction} is not in whole minutes within a day or week: left out, so "
                "the layer is on call for longer; fix it in the file",
            )
        else:
            restrictions.append(converted)
    found = {
        "name": (layer.get("name") or "Layer")[:100],
        "turn_unit": unit,
        "turn_count": count,
        "handoff": _local(layer["rotation_virtual_start"], zone),
        "time_zone": zone,
        "active_from": _local(layer["start"], zone) if layer.get("start") else None,
        "active_until": _local(layer["end"], zone) if layer.get("end") else None,
        "participants": participants,
        "restrictions": restrictions,
    }
    if exact:
        return [found]
    if 24 % count == 0 and not restrictions:
        return _slots(found, count)
    imported.skip(
        "schedule layer",
        label,
        f"imported in part: turns of {count} hours are elapsed time in Plantão, while "
        f"PagerDuty keeps handoffs at their local time in {zone}; after a DST change they "
        "differ by an hour (check with --verify)",
    )
    return [found]


def _slots(layer: dict, hours: int) -> list:
    """Return a layer of `hours`-hour turns (a divisor of 24) as one daily layer per slot of the
    day, each restricted to its slot: turns that keep their local time, as PagerDuty's do.

    Slot j of local day d is turn d * slots + j, so its person is participants[(j + slots * d)
    mod n]: a daily rotation through those, repeating after n / gcd(n, slots) days."""
    people, slots = layer["participants"], 24 // hours
    first = datetime.fromisoformat(layer["handoff"])
    zone = ZoneInfo(layer["time_zone"])
    local = first.replace(tzinfo=None)
    period = len(people) // math.gcd(len(people), slots)
    found = []
    for j in range(slots):
        opens = local + timedelta(hours=hours * j)
        found.append(
            {
                **layer,
                "name": f"{layer['name']} ({opens:%H:%M})"[:100],
                "turn_unit": "days",
                "turn_count": 1,
                "handoff": opens.replace(tzinfo=zone).isoformat(),
                "participants": [people[(j + slots * d) % len(people)] for d in range(period)],
                "restrictions": [
                    {"kind": "daily", "start": f"{opens:%H:%M}", "duration": f"{hours:02d}:00"}
                ],
            }
        )
    return found


def _turn(seconds: int, zone: str) -> tuple[str, int, bool] | None:
    """Return (unit, count, exact) for a turn of `seconds`, or None when none fits."""
    if seconds <= 0:
        return None
    if seconds % WEEK == 0 and seconds // WEEK <= 1000:
        return "weeks", seconds // WEEK, True
    if seconds % DAY == 0 and seconds // DAY <= 1000:
        return "days", seconds // DAY, True
    if seconds % HOUR == 0 and seconds // HOUR <= 1000:
        return "hours", seconds // HOUR, not _has_dst(zone)
    return None


def _restriction(given: dict) -> dict | None:
    kind = {"daily_restriction": "daily", "weekly_restriction": "weekly"}.get(given.get("type"))
    clock = str(given.get("start_time_of_day") or "")
    parts = clock.split(":")
    seconds = given.get("duration_seconds")
    if kind is None or len(parts) not in (2, 3) or not isinstance(seconds, int):
        return None
    if len(parts) == 3 and int(parts[2]) != 0 or seconds % 60 or seconds <= 0:
        return None
    most = DAY if kind == "daily" else WEEK
    if seconds > most:
        return None
    minutes = seconds // 60
    restriction = {
        "kind": kind,
        "start": f"{int(parts[0]):02d}:{int(parts[1]):02d}",
        "duration": f"{minutes // 60:02d}:{minutes % 60:02d}",
    }
    if kind == "weekly":
        day = given.get("start_day_of_week")
        if not isinstance(day, int) or not 1 <= day <= 7:
            return None
        restriction["weekday"] = schema.WEEKDAYS[day - 1]  # ISO: 1 is Monday
    return restriction


def _overrides(imported: Import, overrides: list, schedule: str, emails: dict) -> list:
    found = []
    for override in overrides:
        user_id = (override.get("user") or {}).get("id")
        if user_id not in emails:
            imported.skip("override", schedule, f"user {user_id} is not among the users")
            continue
        found.append(
            {
                "person": emails[user_id],
                "start": _instant(override["start"]),
                "end": _instant(override["end"]),
            }
        )
    return found


def _local(text: str, zone: str) -> str:
    """Return the instant `text` written in `zone`, so that a reader sees the local time."""
    return _parse(text).astimezone(ZoneInfo(zone)).isoformat()


def _instant(text: str) -> str:
    return _parse(text).isoformat()


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _known(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _has_dst(zone: str) -> bool:
    """Tell whether `zone`'s offset changes within a year (its clocks change for DST)."""
    tz = ZoneInfo(zone)
    year = 2026
    offsets = {datetime(year, month, 1, tzinfo=tz).utcoffset() for month in range(1, 13)}
    return len(offsets) > 1
