"""The REST API's two hot reads on the production stack (make bench): figures, never asserts.

1. `GET /api/v1/incidents/?status=triggered` with 100,000 incidents in the database (target:
   p99 under 50 ms), and the number of SQL queries it makes for pages of 5, 50 and 200 (it must
   not grow with the page size);
2. `GET /api/v1/oncall` (who is on call everywhere now) for 50 schedules (target: p99 under 20 ms).

Builds its own PostgreSQL database (plantao_bench_api, recreated each run, dropped at the end),
uses Redis db 11 as cache and broker (flushed), loads the demo organisation, adds 48 schedules of
weekly turns (50 in all) and 100,000 incidents (2,000 triggered, 1,000 acknowledged, the rest
resolved) on the demo's six services, and starts the web tier as the Procfile does (uvicorn,
production settings, 2 workers, no access log). Requests carry a read token of a demo team
member (not a superuser, so the team filter is in every query); one connection alone, then
CONNECTIONS at once. Skips (exit 0) when PostgreSQL or Redis is not reachable.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as harness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "plantao_bench_api"
REDIS = "redis://127.0.0.1:6379/11"
# BENCH_API_SMALL=1 makes a quick run that only shows the bench works (figures meaningless).
SMALL = os.environ.get("BENCH_API_SMALL") == "1"
INCIDENTS, TRIGGERED, ACKNOWLEDGED = (3_000, 200, 100) if SMALL else (100_000, 2_000, 1_000)
SCHEDULES = 50
CONNECTIONS, WINDOW, ALONE = (2, 1.0, 1.0) if SMALL else (4, 8.0, 4.0)


def _organisation(env: dict) -> str:
    """Load the demo, add schedules and incidents; return a read token of a team member."""
    harness.demo_load(env, ROOT)
    import django

    django.setup()
    from incidents.models import Incident, Service
    from oncall import clock, services
    from oncall.models import Membership, Person, Schedule, Team
    from oncall.tokens import api_token_create

    now = clock.now()
    team = Team.objects.get()
    people = list(Person.objects.filter(memberships__team=team).order_by("pk"))
    for n in range(SCHEDULES - Schedule.objects.count()):
        schedule = Schedule.objects.create(name=f"bench-{n:02}", team=team, time_zone="UTC")
        services.layer_create(
            schedule=schedule,
            name="weekly",
            participants=[people[(n + k) % len(people)] for k in range(4)],
            turn_unit="weeks",
            turn_count=1,
            handoff=now - timedelta(days=n),
            time_zone="Europe/Lisbon",
        )
    service_ids = list(Service.objects.values_list("pk", flat=True))

    def incident(n: int) -> Incident:
        status = "triggered" if n < TRIGGERED else "acknowledged"
        status = status if n < TRIGGERED + ACKNOWLEDGED else "resolved"
        return harness.bench_incident(
            n,
            status=status,
            service_ids=service_ids,
            created=now - timedelta(minutes=INCIDENTS - n),
        )

    # Shuffled in id order, as a real history is: open incidents among the resolved ones.
    order = sorted(range(INCIDENTS), key=lambda n: (n * 7919) % INCIDENTS)
    for start in range(0, INCIDENTS, 5_000):
        Incident.objects.bulk_create(incident(n) for n in order[start : start + 5_000])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    member = Membership.objects.filter(team=team).select_related("person__user").first()
    _, secret = api_token_create(user=member.person.user, name="bench", scope="read", now=now)
    return secret


def _queries_per_page(secret: str) -> str:
    """Count the SQL queries of the incident list for pages of 5, 50 and 200, in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_HOST="127.0.0.1")
    counts = []
    for limit in (5, 50, 200):
        client.get("/api/v1/incidents/", {"status": "triggered", "limit": limit})
        with CaptureQueriesContext(connection) as queries:
            answer = client.get("/api/v1/incidents/", {"status": "triggered", "limit": limit})
        assert answer.status_code == 200, answer.content[:300]
        counts.append(
            f"limit {limit}: {len(queries)} queries, {len(answer.json()['results'])} rows"
        )
    return "; ".join(counts)


def _requests(path: str, port: int, secret: str):
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {secret}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()
    while True:
        yield request


def _report(label: str, result: dict, target_ms: float | None) -> None:
    latencies = result["latencies"]
    p50, p99 = (harness.percentile(latencies, f) * 1000 for f in (0.5, 0.99))
    rate = len(latencies) / result["elapsed"]
    errors = result["errors"]
    print(
        f"  {label}: {len(latencies)} requests, {rate:,.0f}/s; p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms, max {max(latencies, default=float('nan')) * 1000:.1f} ms"
        + (f" (target p99 < {target_ms:.0f} ms)" if target_ms else " (the floor)")
        + f"; statuses {result['statuses']}"
        + (f"; {len(errors)} errors, first {errors[0]}" if errors else "")
    )


def main() -> None:
    if harness.services_missing("bench_api"):
        return
    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="plantao-bench-api-"))
    env = harness.production_env(database=DATABASE, redis=REDIS, tmp=tmp)
    env["PLANTAO_API_RATE"] = "1000000/min"  # measure the reads, not the throttle's refusals
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import redis as redis_client

    redis = redis_client.Redis.from_url(REDIS)
    redis.flushdb()
    harness.database(DATABASE, create=True)
    web = None
    try:
        built = time.monotonic()
        secret = _organisation(env)
        print(
            f"built {INCIDENTS:,} incidents and {SCHEDULES} schedules in "
            f"{time.monotonic() - built:.0f} s"
        )
        print(f"incident list, SQL queries per page: {_queries_per_page(secret)}")
        port = harness.free_port()
        web = harness.web_start(port, env=env, cwd=ROOT, log=tmp / "web.log", workers=2)
        print(
            f"conditions: Python {platform.python_version()}, {os.cpu_count()} CPUs shared by "
            "the web tier (uvicorn, production settings, 2 workers), PostgreSQL, Redis (cache) "
            "and this load process; a read token of a team member; keep-alive connections"
        )
        for label, path, target in (
            # The same server's answer with no database and no token: what the machine and the
            # transport cost alone, to read the two figures against on a shared machine.
            ("GET /healthz (no database, no token)", "/healthz", None),
            (
                "GET /api/v1/incidents/?status=triggered (50 a page)",
                "/api/v1/incidents/?status=triggered",
                50,
            ),
            (f"GET /api/v1/oncall/ ({SCHEDULES} schedules)", "/api/v1/oncall/", 20),
        ):
            print(f"{label}:")
            requests = _requests(path, port, secret)
            asyncio.run(harness.closed_loop(port, requests, 2, 1.0))  # warm both workers
            _report(
                "1 connection, alone",
                asyncio.run(harness.closed_loop(port, requests, 1, ALONE)),
                target,
            )
            _report(
                f"{CONNECTIONS} connections, {WINDOW:.0f} s",
                asyncio.run(harness.closed_loop(port, requests, CONNECTIONS, WINDOW)),
                target,
            )
    finally:
        harness.bench_end(web=web, redis=redis, database_name=DATABASE, tmp=tmp)
    print(f"(bench_api took {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
