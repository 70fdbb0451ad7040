"""A local Grafana OnCall API: the fixture files at their real paths, and final shifts computed.

The lists (/api/v1/users/ ...) are the saved pages of fixtures/grafana_oncall, with `next`
pointing at this server. /api/v1/schedules/<id>/final_shifts is computed from the fixture's
shifts by a deliberately plain reading of Grafana OnCall's documented semantics, written apart
from the importer and from oncall.rota, so that --verify checks one against the other:

- a shift's `start` is wall-clock time in its `time_zone` (else the schedule's); each event
  lasts `duration` seconds of wall-clock time;
- daily shifts happen every `interval` days (only on `by_day` days, if given); weekly shifts on
  their `by_day` days (else the start's weekday) of every `interval`-th week, weeks beginning
  on `week_start`; hourly every `interval` hours;
- `rolling_users` moves to the next list of users every `interval` days or weeks (counted from
  the start), from `start_rotation_from_user_index`;
- where events overlap, the highest `level` wins and everyone at that level is on call;
  overrides win over every level.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.incidents.importers.fakeapi import FakeApi

FIXTURES = Path(__file__).parent / "fixtures" / "grafana_oncall"
TOKEN = "glsa_fake_oncall_token_0123456789"
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
OVERRIDE_LEVEL = 1_000_000
PAGE = 50


class FakeGrafanaOnCall(FakeApi):
    """Serve the fixtures; `late` moves the events of some shifts later (shift id -> delta)."""

    def __init__(self, folder: Path = FIXTURES, token: str = TOKEN, late: dict | None = None):
        super().__init__(self.answer, lambda headers: headers.get("Authorization") == token)
        self.folder = folder
        self.late = late or {}

    # --- the lists, as saved -------------------------------------------------------------------

    def pages(self, name: str) -> list[dict]:
        found, number = [], 1
        while True:
            path = self.folder / (f"{name}.json" if number == 1 else f"{name}-{number}.json")
            if not path.exists():
                return found
            found.append(json.loads(path.read_text()))
            number += 1

    def items(self, name: str) -> list[dict]:
        return [item for page in self.pages(name) for item in page["results"]]

    def answer(self, path: str, query: dict) -> tuple[int, object]:
        parts = [part for part in path.split("/") if part]
        if parts[:2] != ["api", "v1"] or len(parts) < 3:
            return 404, {"detail": "Not found."}
        if len(parts) == 5 and parts[2] == "schedules" and parts[4] == "final_shifts":
            return self.final_shifts_answer(parts[3], query)
        pages = self.pages(parts[2])
        number = int(query.get("page", ["1"])[0])
        if len(parts) != 3 or not 1 <= number <= len(pages):
            return 404, {"detail": "Not found."}
        page = dict(pages[number - 1])
        if page.get("next"):
            page["next"] = f"{self.url}/api/v1/{parts[2]}/?page={number + 1}"
        return 200, page

    # --- who is on call ------------------------------------------------------------------------

    def final_shifts_answer(self, schedule_id: str, query: dict) -> tuple[int, object]:
        schedules = {s["id"]: s for s in self.items("schedules")}
        if schedule_id not in schedules:
            return 404, {"detail": "Not found."}
        try:
            first = date.fromisoformat(query["start_date"][0])
            last = date.fromisoformat(query["end_date"][0])
        except (KeyError, ValueError):
            return 400, {"detail": "start_date and end_date are required (YYYY-MM-DD)"}
        since = datetime.combine(first, datetime.min.time(), UTC)
        until = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
        rows = self.final_shifts(schedules[schedule_id], since, until)
        number = int(query.get("page", ["1"])[0])
        chunk = rows[(number - 1) * PAGE : number * PAGE]
        more = number * PAGE < len(rows)
        return 200, {
            "count": len(rows),
            "next": (
                f"{self.url}/api/v1/schedules/{schedule_id}/final_shifts?start_date={first}"
                f"&end_date={last}&page={number + 1}"
                if more
                else None
            ),
            "previous": None,
            "results": chunk,
            "current_page_number": number,
            "page_size": PAGE,
            "total_pages": max(1, -(-len(rows) // PAGE)),
        }

    def final_shifts(self, schedule: dict, since: datetime, until: datetime) -> list[dict]:
        users = {user["id"]: user for user in self.items("users")}
        events = [
            event
            for event in self.events(schedule, since, until)
            if event[0] < until and event[1] > since
        ]
        cuts = sorted({since, until} | {t for e in events for t in e[:2] if since < t < until})
        open_spans: dict[str, datetime] = {}
        rows = []
        for left in cuts[:-1]:
            live = [e for e in events if e[0] <= left < e[1]]
            top = max((e[2] for e in live), default=None)
            now_on = {u for e in live if e[2] == top for u in e[3]}
            for user in list(open_spans):
                if user not in now_on:
                    rows.append((open_spans.pop(user), left, user))
            for user in now_on:
                open_spans.setdefault(user, left)
        rows += [(start, until, user) for user, start in open_spans.items()]
        rows.sort(key=lambda row: (row[0], row[2]))
        return [
            {
                "user_pk": user,
                "user_email": users[user]["email"],
                "user_username": users[user]["username"],
                "shift_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "shift_end": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            for start, end, user in rows
        ]

    def events(self, schedule: dict, since: datetime, until: datetime):
        """Yield (start, end, level, users) of each event of the schedule's shifts."""
        shifts = {shift["id"]: shift for shift in self.items("on_call_shifts")}
        for shift_id in schedule.get("shifts") or []:
            shift = shifts[shift_id]
            zone = ZoneInfo(shift.get("time_zone") or schedule.get("time_zone") or "UTC")
            late = self.late.get(shift_id, timedelta(0))
            level = OVERRIDE_LEVEL if shift["type"] == "override" else shift.get("level") or 0
            naive_start = datetime.fromisoformat(shift["start"])
            floor = datetime.fromisoformat(shift.get("rotation_start") or shift["start"])
            last = datetime.fromisoformat(shift["until"]) if shift.get("until") else None
            horizon = until.astimezone(zone).replace(tzinfo=None) + timedelta(days=8)
            for begins, turn in occurrences(shift, naive_start, horizon):
                if begins < floor or (last and begins > last):
                    continue
                ends = begins + timedelta(seconds=shift["duration"])
                start = begins.replace(tzinfo=zone).astimezone(UTC) + late
                end = ends.replace(tzinfo=zone).astimezone(UTC) + late
                yield start, end, level, who(shift, turn)


def occurrences(shift: dict, start: datetime, horizon: datetime):
    """Yield (naive local start, rotation turn) of each event of `shift` before `horizon`."""
    kind, interval = shift["type"], shift.get("interval") or 1
    if kind in ("single_event", "override"):
        yield start, 0
        return
    frequency = shift.get("frequency")
    if frequency == "hourly":
        step, n = timedelta(hours=interval), 0
        while start + step * n < horizon:  # wall-clock hours: no fixture repeats hourly
            yield start + step * n, n
            n += 1
        return
    days = shift.get("by_day") or []
    day, n = start, 0
    if frequency == "daily":
        while day < horizon:
            if n % interval == 0 and (not days or DAYS[day.weekday()] in days):
                yield day, n // interval
            day, n = start + timedelta(days=n + 1), n + 1
        return
    if frequency == "weekly":
        days = days or [DAYS[start.weekday()]]
        week_start = DAYS.index(shift.get("week_start") or "SU")
        first_week = start.date() - timedelta(days=(start.weekday() - week_start) % 7)
        while day < horizon:
            week = day.date() - timedelta(days=(day.weekday() - week_start) % 7)
            index = (week - first_week).days // 7
            if index % interval == 0 and DAYS[day.weekday()] in days:
                yield day, index // interval
            n += 1
            day = start + timedelta(days=n)
        return
    raise ValueError(f"the fake does not know frequency {frequency!r}")


def who(shift: dict, turn: int) -> list[str]:
    """Return the user ids on call in `turn` of `shift`."""
    if shift["type"] != "rolling_users":
        return list(shift.get("users") or [])
    groups = shift.get("rolling_users") or [[]]
    return list(groups[(turn + (shift.get("start_rotation_from_user_index") or 0)) % len(groups)])
