"""Opsgenie schedules to Plantão schedules.

In Opsgenie every rotation of a schedule is on call at once; in Plantão one person is, the last
layer winning. Rotations whose active times never overlap (follow-the-sun, by time restrictions)
become the layers of one schedule. Rotations that do overlap cannot: each group of rotations
that never overlap becomes a schedule of its own ("<schedule> / <rotation>"), a policy step
that named the Opsgenie schedule names all of them, and --verify compares everyone they have on
call together with Opsgenie's answer for the one schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from incidents.importers.result import Import

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK_MINUTES = 7 * 24 * 60
UNITS = {"hourly": "hours", "daily": "days", "weekly": "weeks"}


@dataclass
class Mapped:
    """An Opsgenie schedule's Plantão schedules, and who they name (for the team's members)."""

    names: list[str] = field(default_factory=list)
    people: set[str] = field(default_factory=set)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def schedule_convert(
    schedule: dict, overrides: list[dict], team: str, emails: dict[str, str], imported: Import
) -> Mapped:
    """Add the Plantão schedules of one Opsgenie schedule to `imported`; return their names."""
    name, zone = schedule["name"], schedule.get("timezone") or "UTC"
    exact = schedule.get("enabled", True)
    if not exact:
        imported.skip("schedule", name, "disabled in Opsgenie: imported, but check it is wanted")
    rotations = []
    for rotation in schedule.get("rotations") or []:
        layer = _layer(rotation, zone, emails, name, imported)
        if layer is None:
            exact = False
        else:
            rotations.append((rotation, layer))
    groups = _groups(rotations)
    mapped = Mapped()
    for index, group in enumerate(groups or [[]]):
        title = name if index == 0 else _title(name, [rotation for rotation, _ in group])
        part, carried = _part(schedule, title, team, zone, group, overrides, emails, imported)
        exact = exact and carried
        mapped.names.append(title)
        mapped.people |= {p for layer in part["layers"] for p in layer["participants"]}
        mapped.people |= {override["person"] for override in part["overrides"]}
    if len(groups) > 1:
        imported.skip(
            "schedule",
            name,
            f"its rotations are on call at the same time; Plantão has one person on call per "
            f"schedule, so it became {len(groups)} schedules ({', '.join(mapped.names)}), each "
            "named in the policy steps that named it (--verify compares them together)",
        )
    if exact:
        # Split parts share the old id: --verify compares everyone they have on call at once.
        for title in mapped.names:
            imported.schedule_ids[title] = schedule["id"]
    else:
        imported.skip(
            "schedule", name, "imported in part or disabled (see above): --verify skips it"
        )
    return mapped


def _part(schedule, title, team, zone, group, overrides, emails, imported) -> tuple[dict, bool]:
    """Add the Plantão schedule of a group of rotations that never overlap, with the overrides
    that concern them; return it, and whether every such override was carried."""
    ids = {rotation.get("id") for rotation, _ in group}
    layers = [layer for _, layer in group]
    exact, found = True, []
    for override in overrides:
        mapped = _override(override, ids, emails, title, imported)
        if mapped == "partial":
            exact = False
        elif mapped is not None:
            found.append(mapped)
            if layers and not _covers(layers):
                imported.skip(
                    "override",
                    f"{title} {override['startDate']} to {override['endDate']}",
                    "the rotations it overrides leave hours with nobody on call; in those "
                    "hours Plantão has the override's person on call too",
                )
    part = {
        "name": title,
        "team": team,
        "time_zone": zone,
        "description": schedule.get("description") or "",
        "layers": layers,
        "overrides": found,
    }
    imported.config["schedules"].append(part)
    return part, exact


def _title(name: str, rotations: list[dict]) -> str:
    title = f"{name} / {' + '.join(r.get('name') or 'rotation' for r in rotations)}"
    return title[:100]


def _layer(rotation: dict, zone: str, emails: dict[str, str], schedule: str, imported: Import):
    label = f"{schedule} / {rotation.get('name') or 'rotation'}"
    participants = []
    for participant in rotation.get("participants") or []:
        email = emails.get(participant.get("id")) or participant.get("username")
        if participant.get("type") != "user" or not email:
            kind = participant.get("type", "?")
            why = (
                "an empty ('none') turn"
                if kind == "none"
                else f"a {kind} ({participant.get('name', '?')}) taking turns"
            )
            imported.skip(
                "rotation", label, f"has {why}: Plantão rotates people only; rotation not imported"
            )
            return None
        participants.append(email.lower())
    if not participants:
        imported.skip("rotation", label, "has no participants; not imported")
        return None
    kind = rotation.get("type")
    if kind not in UNITS:
        imported.skip("rotation", label, f"rotation type {kind!r} is unknown; not imported")
        return None
    return {
        "name": (rotation.get("name") or "rotation")[:100],
        "turn_unit": UNITS[kind],
        "turn_count": int(rotation.get("length") or 1),
        "handoff": rotation["startDate"],
        "time_zone": zone,
        "active_from": rotation["startDate"],
        "active_until": rotation.get("endDate"),
        "participants": participants,
        "restrictions": restrictions_of(rotation.get("timeRestriction")),
    }


def restrictions_of(restriction: dict | None) -> list[dict]:
    """Return Plantão restrictions for an Opsgenie timeRestriction (in the schedule's zone)."""
    if not restriction:
        return []
    if restriction.get("type") == "time-of-day":
        window = restriction.get("restriction") or {}
        start = window["startHour"] * 60 + window.get("startMin", 0)
        end = window["endHour"] * 60 + window.get("endMin", 0)
        length = (end - start) % (24 * 60) or 24 * 60
        return [{"kind": "daily", "start": _clock(start), "duration": _clock(length)}]
    found = []
    for window in restriction.get("restrictions") or []:
        start = DAYS.index(window["startDay"]) * 1440 + window["startHour"] * 60
        start += window.get("startMin", 0)
        end = DAYS.index(window["endDay"]) * 1440 + window["endHour"] * 60 + window.get("endMin", 0)
        length = (end - start) % WEEK_MINUTES or WEEK_MINUTES
        found.append(
            {
                "kind": "weekly",
                "weekday": WEEKDAYS[start // 1440],
                "start": _clock(start % 1440),
                "duration": _clock(length),
            }
        )
    return found


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _slots(layer: dict) -> set[int]:
    """Return the half hours of the week (local wall clock) when the layer may be active."""
    if not layer["restrictions"]:
        return set(range(WEEK_MINUTES // 30))
    slots = set()
    for restriction in layer["restrictions"]:
        hours, minutes = map(int, restriction["start"].split(":"))
        length_h, length_m = map(int, restriction["duration"].split(":"))
        days = [WEEKDAYS.index(restriction["weekday"])] if restriction["kind"] == "weekly" else []
        days = days or list(range(7))
        for day in days:
            start = (day * 1440 + hours * 60 + minutes) // 30
            slots |= {
                (start + k) % (WEEK_MINUTES // 30) for k in range((length_h * 60 + length_m) // 30)
            }
    return slots


def _covers(layers: list[dict]) -> bool:
    """Tell whether the layers' restrictions leave no hour of the week uncovered."""
    covered = set()
    for layer in layers:
        covered |= _slots(layer)
    return len(covered) == WEEK_MINUTES // 30


def _overlap(a: dict, b: dict) -> bool:
    """Tell whether two layers (of one zone) can be active at the same instant."""
    a_from, b_from = instant(a["active_from"]), instant(b["active_from"])
    a_until = instant(a["active_until"]) if a["active_until"] else None
    b_until = instant(b["active_until"]) if b["active_until"] else None
    if (a_until and a_until <= b_from) or (b_until and b_until <= a_from):
        return False
    return bool(_slots(a) & _slots(b))


def _groups(rotations: list[tuple[dict, dict]]) -> list[list[tuple[dict, dict]]]:
    """Put each rotation in the first group none of whose rotations it overlaps."""
    groups: list[list[tuple[dict, dict]]] = []
    for rotation, layer in rotations:
        for group in groups:
            if not any(_overlap(layer, other) for _, other in group):
                group.append((rotation, layer))
                break
        else:
            groups.append([(rotation, layer)])
    return groups


def _override(override: dict, ids: set, emails: dict[str, str], title: str, imported: Import):
    """Return the Plantão override for this group of rotations, None, or "partial"."""
    user = override.get("user") or {}
    listed = {rotation.get("id") for rotation in override.get("rotations") or []}
    if listed and not listed & ids:
        return None
    span = f"{override.get('startDate')} to {override.get('endDate')}"
    email = emails.get(user.get("id")) or user.get("username")
    if user.get("type", "user") != "user" or not email:
        imported.skip("override", f"{title} {span}", "puts nobody on call; Plantão cannot")
        return "partial"
    if listed and ids - listed:
        imported.skip(
            "override",
            f"{title} {span}",
            "covers only some rotations of the schedule; Plantão overrides the whole schedule",
        )
        return "partial"
    return {
        "person": email.lower(),
        "start": override["startDate"],
        "end": override["endDate"],
        "reason": (override.get("alias") or "")[:200],
    }
