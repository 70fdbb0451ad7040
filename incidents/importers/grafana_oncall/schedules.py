"""Grafana OnCall schedules as Plantão schedules.

Web and calendar schedules map: their shifts become layers, lowest priority level first (in
Grafana OnCall the higher level wins where events overlap; in Plantão the later layer wins), and
their overrides become overrides. iCal schedules are only a calendar's URL: they are reported.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from incidents.configuration.normal import normalized
from incidents.configuration.rotas import rota_of
from oncall import rota

from ..result import Import
from .shifts import ShiftMapper

# How far ahead to look for shifts of one level that overlap (the --verify window).
LOOK_AHEAD = timedelta(weeks=8)


def schedule_of(
    imported: Import,
    schedule: dict,
    shifts: dict[str, dict],
    emails: dict[str, str],
    team: str,
    now: datetime,
) -> dict | None:
    """Return the Plantão schedule of a Grafana OnCall schedule, or None (reported) if none."""
    name = schedule["name"][:100]
    if schedule.get("type") == "ical":
        imported.skip(
            "schedule",
            name,
            "an iCal schedule is a calendar's URL (ical_url_primary), not rotations; build it "
            "as layers in Plantão by hand",
        )
        return None
    if schedule.get("ical_url_overrides"):
        imported.skip(
            "schedule",
            name,
            "its overrides from an iCal calendar (ical_url_overrides) were not imported",
        )
    slack = schedule.get("slack") or {}
    if slack.get("channel_id") or slack.get("user_group_id"):
        imported.skip(
            "schedule",
            name,
            "its Slack channel and user group (shift notices, the on-call user group) were not "
            "imported; set the team's slack_channel in the file if you want Plantão's notices",
        )
    zone = schedule.get("time_zone") or "UTC"
    mapper = ShiftMapper(imported, name, zone, emails)
    layers, overrides = [], []
    for position, shift_id in enumerate(schedule.get("shifts") or []):
        shift = shifts.get(shift_id)
        if shift is None:
            imported.skip("shift", f"{name} / {shift_id}", "is not in on_call_shifts.json")
        elif shift["type"] == "override":
            override = mapper.override(shift, now)
            if override:
                overrides.append(override)
        else:
            layer = mapper.layer(shift)
            if layer:
                layers.append((layer.level, position, layer))
    layers.sort(key=lambda item: item[:2])
    result = {
        "name": name,
        "team": team,
        "time_zone": zone,
        "description": f"Imported from Grafana OnCall schedule {schedule['id']}.",
        "layers": [layer.data for _, _, layer in layers],
        "overrides": overrides,
    }
    _report_overlaps(imported, result, [layer for _, _, layer in layers], now)
    return result


def _report_overlaps(imported: Import, schedule: dict, layers: list, now: datetime) -> None:
    """Report shifts of one priority level that put different people on call at once: Grafana
    OnCall pages them all, Plantão only the later layer's person."""
    if len(layers) < 2:
        return
    normal = normalized(
        {
            "version": 1,
            "teams": [{"name": "t"}],
            "people": _stand_ins(schedule),
            "schedules": [schedule | {"team": "t"}],
        }
    )["schedules"][0]
    until = now + LOOK_AHEAD
    pieces = [_layer_pieces(layer, now, until) for layer in normal["layers"]]
    for i, low in enumerate(layers):
        for j in range(i + 1, len(layers)):
            high = layers[j]
            if high.level != low.level:
                continue
            clash = _first_clash(pieces[i], pieces[j])
            if clash:
                imported.skip(
                    "schedule",
                    schedule["name"],
                    f"shifts {low.shift_name!r} and {high.shift_name!r} have the same priority "
                    f"level {low.level} and overlap (first at {clash:%Y-%m-%d %H:%M} UTC): "
                    "Grafana OnCall pages both people, Plantão only the later layer's; give "
                    "them different levels to choose",
                )


def _stand_ins(schedule: dict) -> list[dict]:
    emails = {p for layer in schedule["layers"] for p in layer["participants"]}
    emails |= {override["person"] for override in schedule["overrides"]}
    return [{"email": email, "name": email} for email in sorted(emails)]


def _layer_pieces(layer: dict, since: datetime, until: datetime) -> list[rota.Shift]:
    one = rota_of({"layers": [layer], "overrides": []})
    return rota.layer_shifts(one.layers[0], since, until)


def _first_clash(ours: list[rota.Shift], theirs: list[rota.Shift]) -> datetime | None:
    for a in ours:
        for b in theirs:
            start, end = max(a.start, b.start), min(a.end, b.end)
            if start < end and a.person != b.person:
                return start
    return None
