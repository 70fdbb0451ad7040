"""A local fake of PagerDuty's REST API v2, serving the fixture folder.

Lists are served at their real paths with PagerDuty's offset/limit/more pagination, behind its
`Authorization: Token token=...` header. /oncalls is answered at any instant from the fixtures'
schedule definitions by the small, deliberately plain reading of PagerDuty's documented semantics
below, written apart from the importer and from oncall.rota so that --verify is not circular:

- the first layer GET lists wins (it lists the highest layer first); an override beats layers;
- turns are counted in the schedule's zone on the wall clock: turn k starts at the virtual
  start's local time plus k turn lengths, so handoffs keep their local time across DST;
- restrictions are windows of the schedule's local time.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.incidents.importers.fakeapi import FakeApi

FIXTURES = Path(__file__).parent / "fixtures" / "pagerduty"
TOKEN = "pd-test-token-6bd1"
LISTS = {
    "/users": "users",
    "/teams": "teams",
    "/schedules": "schedules",
    "/escalation_policies": "escalation_policies",
    "/services": "services",
}


def fake(
    folder: Path = FIXTURES,
    token: str = TOKEN,
    late: tuple[str, str] | None = None,
    most: int = 100,
):
    """Return a FakeApi over `folder`; `late` = (schedule id, layer id) hands that layer's turns
    over an hour later than its definition says (for a verify that must fail); `most` is the
    largest page it gives (PagerDuty's is 100)."""
    answers = _Answers(folder, late, most)
    return FakeApi(
        answers.route,
        lambda headers: (
            headers.get("Authorization") == f"Token token={token}"
            and "version=2" in headers.get("Accept", "")
        ),
    )


class _Answers:
    def __init__(self, folder: Path, late, most: int):
        self.folder = folder
        self.late = late
        self.most = most

    def whole(self, name: str, key: str) -> list:
        items, page = [], 1
        path = self.folder / f"{name}.json"
        while path.exists():
            items += json.loads(path.read_text())[key]
            page += 1
            path = self.folder / f"{name}-{page}.json"
        return items

    def schedule(self, schedule_id: str) -> dict | None:
        path = self.folder / f"schedule-{schedule_id}.json"
        return json.loads(path.read_text())["schedule"] if path.exists() else None

    def route(self, path: str, query: dict):
        parts = path.strip("/").split("/")
        if path in LISTS:
            return 200, self.page(self.whole(LISTS[path], LISTS[path]), LISTS[path], query)
        if len(parts) == 3 and parts[0] == "teams" and parts[2] == "members":
            return 200, self.page(
                self.whole(f"team-{parts[1]}-members", "members"), "members", query
            )
        if len(parts) == 2 and parts[0] == "schedules":
            found = self.schedule(parts[1])
            return (200, {"schedule": found}) if found else (404, _not_found())
        if len(parts) == 3 and parts[0] == "schedules" and parts[2] == "overrides":
            overrides = self.whole(f"overrides-{parts[1]}", "overrides")
            since, until = _at(query["since"][0]), _at(query["until"][0])
            kept = [o for o in overrides if _at(o["start"]) < until and _at(o["end"]) > since]
            return 200, {"overrides": kept}
        if path == "/oncalls":
            return 200, self.page(self.oncalls(query), "oncalls", query)
        return 404, _not_found()

    def page(self, items: list, key: str, query: dict) -> dict:
        offset = int(query.get("offset", ["0"])[0])
        limit = min(int(query.get("limit", ["25"])[0]), self.most)
        chunk = items[offset : offset + limit]
        return {key: chunk, "limit": limit, "offset": offset, "more": offset + limit < len(items)}

    def oncalls(self, query: dict) -> list:
        since, until = _at(query["since"][0]), _at(query["until"][0])
        wanted = set(query.get("schedule_ids[]", []))
        users = {user["id"]: user for user in self.whole("users", "users")}
        found = []
        for policy in self.whole("escalation_policies", "escalation_policies"):
            for level, rule in enumerate(policy["escalation_rules"], start=1):
                for target in rule["targets"]:
                    if target["type"] != "schedule_reference" or target["id"] not in wanted:
                        continue
                    schedule = self.schedule(target["id"])
                    overrides = self.whole(f"overrides-{target['id']}", "overrides")
                    for start, end, user_id in _entries(
                        schedule, overrides, since, until, self.late
                    ):
                        user = users[user_id]
                        if "users" not in query.get("include[]", []):
                            user = {"id": user_id, "type": "user_reference"}
                        found.append(
                            {
                                "escalation_policy": {"id": policy["id"]},
                                "escalation_level": level,
                                "schedule": {"id": schedule["id"], "type": "schedule_reference"},
                                "user": user,
                                "start": start.isoformat(),
                                "end": end.isoformat(),
                            }
                        )
        return found


def _not_found() -> dict:
    return {"error": {"message": "Not Found", "code": 2100}}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# --- PagerDuty's schedule semantics, plainly --------------------------------------------------


def _local(naive: datetime, zone: ZoneInfo) -> datetime:
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _handoff(layer: dict, zone: ZoneInfo, k: int, late) -> datetime:
    start = _at(layer["rotation_virtual_start"])
    if late == layer["id"]:
        start += timedelta(hours=1)
    naive = start.astimezone(zone).replace(tzinfo=None)
    return _local(naive + k * timedelta(seconds=layer["rotation_turn_length_seconds"]), zone)


def _turn(layer: dict, zone: ZoneInfo, t: datetime, late) -> int:
    length = timedelta(seconds=layer["rotation_turn_length_seconds"])
    k = (t - _at(layer["rotation_virtual_start"])) // length
    while _handoff(layer, zone, k, late) > t:
        k -= 1
    while _handoff(layer, zone, k + 1, late) <= t:
        k += 1
    return k


def _windows(layer: dict, zone: ZoneInfo, day: date) -> list[tuple[datetime, datetime]]:
    """Return the restriction windows that open on local date `day`."""
    found = []
    for restriction in layer["restrictions"]:
        if (
            restriction["type"] == "weekly_restriction"
            and day.isoweekday() != restriction["start_day_of_week"]
        ):
            continue
        hours, minutes, seconds = map(int, restriction["start_time_of_day"].split(":"))
        opens = datetime(day.year, day.month, day.day, hours, minutes, seconds)
        closes = opens + timedelta(seconds=restriction["duration_seconds"])
        found.append((_local(opens, zone), _local(closes, zone)))
    return found


def _layer_user(layer: dict, zone: ZoneInfo, t: datetime, late) -> str | None:
    if t < _at(layer["start"]) or (layer["end"] and t >= _at(layer["end"])):
        return None
    if layer["restrictions"]:
        today = t.astimezone(zone).date()
        days = [today - timedelta(days=back) for back in range(8)]
        if not any(o <= t < c for day in days for o, c in _windows(layer, zone, day)):
            return None
    users = layer["users"]
    return users[_turn(layer, zone, t, late) % len(users)]["user"]["id"]


def _who(schedule: dict, overrides: list, t: datetime, late) -> str | None:
    for override in overrides:
        if _at(override["start"]) <= t < _at(override["end"]):
            return override["user"]["id"]
    zone = ZoneInfo(schedule["time_zone"])
    for layer in schedule["schedule_layers"]:  # highest first: the first with someone wins
        user = _layer_user(layer, zone, t, late)
        if user:
            return user
    return None


def _entries(schedule: dict, overrides: list, since: datetime, until: datetime, late_pair):
    """Return (start, end, user id) of the final schedule between `since` and `until`."""
    late = late_pair[1] if late_pair and late_pair[0] == schedule["id"] else None
    zone = ZoneInfo(schedule["time_zone"])
    edges = {since, until}
    for override in overrides:
        edges |= {_at(override["start"]), _at(override["end"])}
    for layer in schedule["schedule_layers"]:
        edges.add(_at(layer["start"]))
        if layer["end"]:
            edges.add(_at(layer["end"]))
        first = _turn(layer, zone, since, late)
        k = first
        while (moment := _handoff(layer, zone, k, late)) < until:
            edges.add(moment)
            k += 1
        day = since.astimezone(zone).date() - timedelta(days=8)
        while day <= until.astimezone(zone).date() + timedelta(days=1):
            for opens, closes in _windows(layer, zone, day):
                edges |= {opens, closes}
            day += timedelta(days=1)
    points = sorted(edge for edge in edges if since <= edge <= until)
    found = []
    for start, end in zip(points, points[1:], strict=False):
        user = _who(schedule, overrides, start, late)
        if user is None:
            continue
        if found and found[-1][2] == user and found[-1][1] == start:
            found[-1] = (found[-1][0], end, user)
        else:
            found.append((start, end, user))
    return found
