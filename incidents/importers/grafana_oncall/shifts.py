"""Grafana OnCall on-call shifts as Plantão layers and overrides.

A shift's `start` is wall-clock time in its zone (the shift's `time_zone`, else the schedule's),
and each event lasts `duration` seconds of wall-clock time from its start, as in the iCalendar
events Grafana OnCall renders (DTSTART and DTEND in the shift's zone). `rolling_users` moves to
the next list of users every `interval` periods of `frequency` (a week begins on `week_start`).

What maps exactly:

- hourly turns that last the whole interval;
- daily turns (any interval) that last the whole interval, or last less than a day when the
  interval is one day (a daily restriction), limited to some weekdays or not;
- weekly turns that last the whole interval (handoff at the shift's start), or events on some
  weekdays of every week (weekly restrictions; the handoff is the start of the week);
- single events (a layer active for just that span) and overrides.

Anything else is imported as closely as Plantão allows and reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..result import Import

ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY = 86_400
WEEK = 7 * DAY


@dataclass
class Layer:
    """A layer of the file, with the Grafana OnCall priority level it came from."""

    level: int
    shift_name: str
    data: dict


def local(text: str, zone: str) -> datetime:
    """Return Grafana OnCall's naive `yyyy-MM-ddTHH:mm:ss` as an aware instant in `zone`."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        return moment.astimezone(ZoneInfo(zone))
    return moment.replace(tzinfo=ZoneInfo(zone))


def wall_end(start: datetime, seconds: int) -> datetime:
    """Return the end of an event of `seconds` wall-clock seconds from aware `start`."""
    naive = start.replace(tzinfo=None) + timedelta(seconds=seconds)
    return naive.replace(tzinfo=start.tzinfo)


def clock(seconds: int) -> str:
    """Return `seconds` as "HH:MM" (hours may pass 24)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


class ShiftMapper:
    """Turn the shifts of one schedule into layers and overrides, reporting what is inexact."""

    def __init__(self, imported: Import, schedule: str, zone: str, emails: dict[str, str]):
        self.imported = imported
        self.schedule = schedule
        self.zone = zone
        self.emails = emails

    def skip(self, shift: dict, why: str) -> None:
        self.imported.skip("shift", f"{self.schedule} / {shift.get('name') or shift['id']}", why)

    def people(self, shift: dict, ids: list) -> list[str]:
        known = [self.emails[i] for i in ids or [] if i in self.emails]
        if len(known) < len([i for i in ids or [] if i]):
            self.skip(shift, "names users that are not in users.json; they were left out")
        return known

    def participants(self, shift: dict) -> list[str]:
        if shift["type"] != "rolling_users":
            group = self.people(shift, shift.get("users"))
            groups = [group] if group else []
        else:
            groups = [self.people(shift, ids) for ids in shift.get("rolling_users") or []]
            first = shift.get("start_rotation_from_user_index") or 0
            if groups:
                first %= len(groups)
                groups = groups[first:] + groups[:first]
        if any(len(group) > 1 for group in groups):
            self.skip(
                shift,
                "puts several users on call at once; Plantão has one person at a time, so "
                "only the first of each group was kept",
            )
        return [group[0] for group in groups if group]

    # --- layers --------------------------------------------------------------------------------

    def layer(self, shift: dict) -> Layer | None:
        """Return the layer of a rolling_users, recurrent_event or single_event shift."""
        zone = shift.get("time_zone") or self.zone
        participants = self.participants(shift)
        if not participants:
            self.skip(shift, "has nobody on call")
            return None
        start = local(shift["start"], zone)
        seconds = int(shift["duration"])
        layer = {
            "name": (shift.get("name") or shift["id"])[:100],
            "time_zone": zone,
            "participants": participants,
            "restrictions": [],
            "active_from": None,
            "active_until": None,
        }
        if seconds % 60:
            self.skip(shift, "lasts a duration that is not whole minutes; rounded down")
            seconds -= seconds % 60
        if shift["type"] == "single_event":
            layer |= {
                "turn_unit": "hours",
                "turn_count": 1,
                "handoff": start.isoformat(),
                "active_from": start.isoformat(),
                "active_until": wall_end(start, seconds).isoformat(),
            }
            return Layer(shift.get("level") or 0, layer["name"], layer)
        shape = self.shape(shift, start, seconds)
        if shape is None:
            return None
        layer |= shape
        since = start
        if shift.get("rotation_start"):
            since = max(since, local(shift["rotation_start"], zone))
        if since.isoformat() != layer["handoff"]:
            layer["active_from"] = since.isoformat()
        if shift.get("until"):
            layer["active_until"] = local(shift["until"], zone).isoformat()
        return Layer(shift.get("level") or 0, layer["name"], layer)

    def shape(self, shift: dict, start: datetime, seconds: int) -> dict | None:
        """Return the turns, handoff and restrictions of a recurring shift."""
        frequency = shift.get("frequency")
        interval = shift.get("interval") or 1
        days = [day for day in shift.get("by_day") or [] if day in ICAL_DAYS]
        if frequency == "hourly":
            if seconds != interval * 3600:
                self.inexact(shift, f"events of {clock(seconds)} every {interval} hour(s)")
            return {"turn_unit": "hours", "turn_count": interval, "handoff": start.isoformat()}
        if frequency == "daily":
            return self.daily(shift, start, seconds, interval, days)
        if frequency == "weekly":
            return self.weekly(shift, start, seconds, interval, days)
        self.skip(
            shift,
            f"repeats {frequency or 'never'}; Plantão turns are hours, days or weeks, so this "
            "shift was not imported",
        )
        return None

    def daily(self, shift, start, seconds, interval, days) -> dict:
        shape = {"turn_unit": "days", "turn_count": interval, "handoff": start.isoformat()}
        whole = seconds >= interval * DAY
        if seconds > interval * DAY:
            self.inexact(shift, "events longer than the interval overlap the next turn")
        if interval > 1 and not whole:
            self.inexact(shift, f"events of {clock(seconds)} every {interval} days")
        if days and len(days) < 7:
            if whole and interval == 1:
                seconds = DAY
            shape["restrictions"] = [
                self.weekly_window(day, start, min(seconds, DAY)) for day in days
            ]
        elif not whole:
            shape["restrictions"] = [
                {"kind": "daily", "start": f"{start:%H:%M}", "duration": clock(min(seconds, DAY))}
            ]
        return shape

    def weekly(self, shift, start, seconds, interval, days) -> dict:
        if not days and seconds >= interval * WEEK:
            if seconds > interval * WEEK:
                self.inexact(shift, "events longer than the interval overlap the next turn")
            return {"turn_unit": "weeks", "turn_count": interval, "handoff": start.isoformat()}
        days = days or [ICAL_DAYS[start.weekday()]]
        week_start = ICAL_DAYS.index(shift.get("week_start") or "SU")
        back = (start.weekday() - week_start) % 7
        began = start.replace(tzinfo=None, hour=0, minute=0, second=0) - timedelta(days=back)
        handoff = began.replace(tzinfo=start.tzinfo)
        if interval > 1:
            self.inexact(shift, f"events every {interval} weeks on {', '.join(days)}")
        for day in days:
            offset = (ICAL_DAYS.index(day) - week_start) % 7 * DAY
            offset += start.hour * 3600 + start.minute * 60
            if offset + seconds > WEEK:
                self.inexact(shift, f"the {day} event runs past the start of the next week")
        if seconds > DAY:
            self.inexact(shift, "events on several days that last more than a day")
        if len(days) == 7 and seconds <= DAY:
            restrictions = [
                {"kind": "daily", "start": f"{start:%H:%M}", "duration": clock(seconds)}
            ]
        else:
            restrictions = [self.weekly_window(day, start, min(seconds, WEEK)) for day in days]
        return {
            "turn_unit": "weeks",
            "turn_count": interval,
            "handoff": handoff.isoformat(),
            "restrictions": restrictions,
        }

    @staticmethod
    def weekly_window(day: str, start: datetime, seconds: int) -> dict:
        weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[ICAL_DAYS.index(day)]
        return {
            "kind": "weekly",
            "weekday": weekday,
            "start": f"{start:%H:%M}",
            "duration": clock(seconds),
        }

    def inexact(self, shift: dict, what: str) -> None:
        self.skip(
            shift,
            f"has {what}, which Plantão layers cannot express exactly; imported "
            "as the closest layer, check it",
        )

    # --- overrides -----------------------------------------------------------------------------

    def override(self, shift: dict, now: datetime) -> dict | None:
        """Return the override of an `override` shift, or None if it has ended."""
        zone = shift.get("time_zone") or self.zone
        start = local(shift["start"], zone)
        end = wall_end(start, int(shift["duration"]))
        if end <= now:
            return None
        people = self.people(shift, shift.get("users"))
        if not people:
            self.skip(shift, "override with nobody in it")
            return None
        if len(people) > 1:
            self.skip(shift, "override with several users; only the first was kept")
        return {
            "person": people[0],
            "start": start.isoformat(),
            "end": end.isoformat(),
            "reason": (shift.get("name") or "")[:200],
        }
