"""Provisioning a rota through the REST API (make bench): figures, never asserts.

1. `POST /api/v1/schedules/` with 3 layers of the demo team's 17 people each (one with office
   hours on weekdays, one with a weekend window): the schedule, its layers, members and
   restrictions saved whole;
2. `POST /api/v1/schedules/{id}/overrides/` with 100 overrides in one request;
3. the same with 1, 10 and 100 overrides, side by side: the query count must not grow with the
   number of overrides (they are one bulk insert);
and, for the record, what editing costs: a layer's 17 participants replaced (PATCH), and the
3 layers replaced whole (PUT on the schedule).

Each request goes through Django's test client in this process (the whole stack but the HTTP
transport: token authentication, throttle, serializers, services, signals, one transaction),
with the production settings, as the team's admin (the demo manager, not a superuser) holding an
admin token. Each is made REPEAT times after a warm-up; the time printed is the median (and the
fastest), the query count that of every run. It runs twice, each in a process of its own: on
SQLite (a file in a temporary directory) and on PostgreSQL (its own database
plantao_bench_api_config, recreated each run, dropped at the end; skipped when PostgreSQL is not
reachable). No Redis: the cache is local memory and the broker a temporary folder.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as harness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "plantao_bench_api_config"
REPEAT = 3 if os.environ.get("BENCH_API_SMALL") == "1" else 7
LAYERS, OVERRIDES = 3, 100


def _env(kind: str, tmp: Path) -> dict:
    env = harness.production_env(database=DATABASE, redis="", tmp=tmp)
    env.update(
        CELERY_BROKER_URL="filesystem://",  # under PLANTAO_VAR_DIR: nothing is queued anyway
        PLANTAO_VAR_DIR=str(tmp),
        PLANTAO_API_RATE="1000000/min",  # measure the writes, not the throttle's refusals
    )
    (tmp / "staticfiles").mkdir()  # WhiteNoise's folder: nothing is served from it here
    if kind == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    return env


# --- in the measuring process -------------------------------------------------------------------


def _bodies(team, people, now) -> dict:
    """Return the request bodies: a schedule of three 17-person layers, and overrides."""
    handoff = (now - timedelta(days=now.weekday())).replace(hour=9, minute=0, second=0)
    weekdays = [
        {"kind": "weekly", "start_weekday": day, "start_time": "09:00", "end_time": "17:00"}
        for day in range(5)
    ]
    weekdays = [{**w, "end_weekday": w["start_weekday"]} for w in weekdays]
    weekend = {"kind": "weekly", "start_weekday": 5, "start_time": "00:00", "duration": 172_800}

    def layer(index: int, name: str, restrictions: list) -> dict:
        turn = [p.pk for p in people[index:] + people[:index]]
        return {
            "name": name,
            "participants": turn,
            "turn_unit": "weeks",
            "turn_count": 1,
            "handoff": handoff.isoformat(),
            "time_zone": "America/Sao_Paulo",
            "restrictions": restrictions,
        }

    layers = [layer(0, "all week", []), layer(5, "office hours", weekdays)]
    layers.append(layer(11, "weekends", [weekend]))

    def overrides(count: int, day: int) -> list[dict]:
        start = now + timedelta(days=day)
        return [
            {
                "person": people[n % len(people)].pk,
                "start": (start + timedelta(hours=n)).isoformat(),
                "end": (start + timedelta(hours=n + 1)).isoformat(),
                "reason": "bench",
            }
            for n in range(count)
        ]

    return {"team": team.pk, "layers": layers, "overrides": overrides}


def _measure(client, method: str, path: str, body, expect: int) -> tuple[float, int]:
    """Make one request; return its wall time in ms and its SQL query count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    data = json.dumps(body) if body is not None else None
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        answer = getattr(client, method)(path, data, content_type="application/json")
        elapsed = (time.perf_counter() - started) * 1000
    assert answer.status_code == expect, (path, answer.status_code, answer.content[:500])
    return elapsed, len(queries)


def _runs(label: str, make) -> str:
    """Run `make(n)` (one request) REPEAT times; print and return its query count."""
    times, counts = [], []
    for n in range(REPEAT):
        elapsed, count = make(n)
        times.append(elapsed)
        counts.append(count)
    queries = str(counts[0]) if len(set(counts)) == 1 else "/".join(map(str, counts))
    print(
        f"  {label}: median {statistics.median(times):.1f} ms, fastest {min(times):.1f} ms; "
        f"{queries} SQL queries"
    )
    return queries


def measure(backend: str) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from oncall import clock
    from oncall.models import Person, Schedule, Team
    from oncall.tokens import api_token_create

    now = clock.now().replace(microsecond=0)
    team = Team.objects.get()
    people = list(
        Person.objects.filter(memberships__team=team, memberships__role="responder").order_by("pk")
    )
    _, secret = api_token_create(user=team.manager.user, name="bench", scope="admin", now=now)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_HOST="127.0.0.1")
    bodies = _bodies(team, people, now)
    schedule_body = {"team": team.pk, "time_zone": "America/Sao_Paulo", "layers": bodies["layers"]}

    def create(n: int) -> tuple[float, int]:
        body = {**schedule_body, "name": f"bench {n}"}
        return _measure(client, "post", "/api/v1/schedules/", body, 201)

    create(-1)  # warm-up: the first request builds what every later one reuses
    schedule = Schedule.objects.get(name="bench -1")
    overrides_path = f"/api/v1/schedules/{schedule.pk}/overrides/"
    _measure(client, "post", overrides_path, bodies["overrides"](1, 100), 201)

    print(
        f"{backend} ({connection.vendor}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs shared with whatever else runs; {REPEAT} runs each):"
    )
    _runs(
        f"POST /schedules/ with {LAYERS} layers of {len(people)} people and 6 restrictions",
        create,
    )
    counts = {}
    for count in (1, 10, OVERRIDES):
        counts[count] = _runs(
            f"POST /schedules/{{id}}/overrides/ with {count} override(s)",
            lambda n, count=count: _measure(
                client, "post", overrides_path, bodies["overrides"](count, n * 7), 201
            ),
        )
    side_by_side = ", ".join(f"{n} -> {queries}" for n, queries in counts.items())
    print(f"  queries per request by number of overrides: {side_by_side}")
    layer = schedule.layers.order_by("position").first()
    _runs(
        f"PATCH /schedules/{{id}}/layers/{{id}}/ replacing its {len(people)} participants",
        lambda n: _measure(
            client,
            "patch",
            f"/api/v1/schedules/{schedule.pk}/layers/{layer.pk}/",
            {"participants": [p.pk for p in people[n % 3 :] + people[: n % 3]]},
            200,
        ),
    )
    _runs(
        f"PUT /schedules/{{id}}/ replacing its {LAYERS} layers whole",
        lambda n: _measure(
            client,
            "put",
            f"/api/v1/schedules/{schedule.pk}/",
            {**schedule_body, "name": "bench -1"},
            200,
        ),
    )


# --- the driver -----------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1:  # a measuring process, started below
        measure(sys.argv[1])
        return
    began = time.monotonic()
    print(
        "conditions: Django's test client in one process, production settings (DEBUG off), "
        "local-memory cache, the demo organisation loaded; times include the client",
        flush=True,
    )
    harness.each_database(
        __file__,
        root=ROOT,
        database_name=DATABASE,
        env_for=_env,
        prefix="plantao-bench-api-config-",
    )
    print(f"(bench_api_config took {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
