"""A local fake of Opsgenie's REST API v2, on fakeapi.py.

It serves the saved fixture answers at Opsgenie's paths (users in pages linked by paging.next,
the API key checked in `Authorization: GenieKey ...`), and answers who-is-on-call
(/v2/schedules/{id}/on-calls?flat=true&date=...) at any instant by computing it from the
fixture's schedules with its own, deliberately plain, reading of Opsgenie's documented rules:

- every rotation of a schedule is on call at once: the answer is everyone on call in any of them;
- a rotation starts at startDate (and stops at endDate); turns of `length` hours are counted in
  elapsed time, daily and weekly turns on the schedule's wall clock (the handoff keeps its local
  time across a DST change);
- time restrictions are wall-clock windows in the schedule's time zone;
- an override puts its user in place of the participant of the rotations it names (all of them
  when it names none) while it lasts.

It shares nothing with the importer or oncall.rota, so --verify against it is a real check.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.incidents.importers.fakeapi import FakeApi

FIXTURES = Path(__file__).parent / "fixtures" / "opsgenie"
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
PUBLIC = "https://api.opsgenie.com"


def _load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class FakeOpsgenie(FakeApi):
    """Opsgenie's API over the fixtures. `late` delays the handoffs of the rotations it names
    (rotation name -> time), to show that --verify notices a difference."""

    def __init__(self, key: str = "genie-key-for-tests", late: dict | None = None):
        super().__init__(
            self.answer, lambda headers: headers.get("Authorization") == f"GenieKey {key}"
        )
        self.late = late or {}
        self.schedules = {s["id"]: s for s in _load("schedules")["data"]}

    def answer(self, path: str, query: dict) -> tuple[int, object]:
        parts = path.strip("/").split("/")
        if parts == ["v2", "users"]:
            offset = int(query.get("offset", ["0"])[0])
            name = "users" if offset == 0 else f"users-{offset // 10 + 1}"
            return self._file(name)
        if parts[:2] == ["v2", "users"] and parts[3:] == ["contacts"]:
            return self._file(f"contacts-{parts[2]}")
        if parts[:2] == ["v2", "users"] and parts[3:] == ["notification-rules"]:
            return self._file(f"notification-rules-{parts[2]}")
        if (
            parts[:2] == ["v2", "users"]
            and parts[3:4] == ["notification-rules"]
            and len(parts) == 5
        ):
            return self._file(f"rule-{parts[4]}")
        if parts == ["v2", "teams"]:
            return self._file("teams")
        if parts[:2] == ["v2", "teams"] and len(parts) == 3:
            return self._file(f"team-{parts[2]}")
        if parts == ["v2", "schedules"]:
            if query.get("expand") != ["rotation"]:
                return 200, {"data": [{**s, "rotations": []} for s in self.schedules.values()]}
            return self._file("schedules")
        if parts[:2] == ["v2", "schedules"] and parts[3:] == ["overrides"]:
            return self._file(f"overrides-{parts[2]}")
        if parts[:2] == ["v2", "schedules"] and parts[3:] == ["on-calls"]:
            return self._on_calls(parts[2], query)
        if parts == ["v2", "escalations"]:
            return self._file("escalations")
        if parts == ["v2", "integrations"]:
            return self._file("integrations")
        return 404, {"message": "Could not find the path", "took": 0.0}

    def _file(self, name: str) -> tuple[int, object]:
        if not (FIXTURES / f"{name}.json").exists():
            return 404, {"message": f"{name} not found", "took": 0.0}
        # Links in saved pages point at Opsgenie; here they point at this fake.
        text = (FIXTURES / f"{name}.json").read_text(encoding="utf-8").replace(PUBLIC, self.url)
        return 200, json.loads(text)

    def _on_calls(self, schedule_id: str, query: dict) -> tuple[int, object]:
        schedule = self.schedules.get(schedule_id)
        if schedule is None:
            return 404, {"message": "Schedule not found", "took": 0.0}
        date = query.get("date", [None])[0]
        at = _when(date) if date else datetime.now(UTC)
        overrides = _load(f"overrides-{schedule_id}")["data"]
        people = sorted(self.on_call(schedule, overrides, at))
        body = {"_parent": {"id": schedule["id"], "name": schedule["name"], "enabled": True}}
        if query.get("flat") == ["true"]:
            body["onCallRecipients"] = people
        else:
            body["onCallParticipants"] = [{"name": p, "type": "user"} for p in people]
        return 200, {"data": body, "took": 0.012, "requestId": "fake"}

    def on_call(self, schedule: dict, overrides: list, at: datetime) -> set[str]:
        zone = ZoneInfo(schedule["timezone"])
        found = set()
        for rotation in schedule["rotations"]:
            person = self.rotation_person(rotation, zone, at)
            if person is None:
                continue
            for override in overrides:
                named = [r["id"] for r in override.get("rotations") or []]
                start, end = _when(override["startDate"]), _when(override["endDate"])
                if start <= at < end and (not named or rotation["id"] in named):
                    person = override["user"]["username"]
            found.add(person)
        return found

    def rotation_person(self, rotation: dict, zone: ZoneInfo, at: datetime) -> str | None:
        start = _when(rotation["startDate"]) + self.late.get(rotation["name"], timedelta(0))
        if at < start or ("endDate" in rotation and at >= _when(rotation["endDate"])):
            return None
        local = at.astimezone(zone)
        if not _allowed(rotation.get("timeRestriction"), local):
            return None
        length = rotation.get("length", 1)
        if rotation["type"] == "hourly":
            turn = int((at - start) / timedelta(hours=length))
        else:
            first = start.astimezone(zone)
            days = (local.date() - first.date()).days
            if local.time() < first.time():
                days -= 1  # the day's handoff, at the same wall-clock time, has not come yet
            turn = days // (length * (7 if rotation["type"] == "weekly" else 1))
        participant = rotation["participants"][turn % len(rotation["participants"])]
        if participant["type"] == "none":
            return None
        return participant.get("username") or participant.get("name")


def _allowed(restriction: dict | None, local: datetime) -> bool:
    if not restriction:
        return True
    minute = local.hour * 60 + local.minute
    if restriction["type"] == "time-of-day":
        window = restriction["restriction"]
        start = window["startHour"] * 60 + window["startMin"]
        end = window["endHour"] * 60 + window["endMin"]
        return _inside(minute, start, end)
    minute += local.weekday() * 24 * 60
    for window in restriction["restrictions"]:
        start = (
            DAYS.index(window["startDay"]) * 1440 + window["startHour"] * 60 + window["startMin"]
        )
        end = DAYS.index(window["endDay"]) * 1440 + window["endHour"] * 60 + window["endMin"]
        if _inside(minute, start, end):
            return True
    return False


def _inside(minute: int, start: int, end: int) -> bool:
    """Tell whether `minute` is in [start, end) on a day's or a week's clock (end <= start
    goes round, through midnight or the week's end)."""
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end
