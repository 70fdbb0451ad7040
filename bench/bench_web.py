"""The web pages of issue 16 with the demo organisation plus 10,000 incidents on PostgreSQL
(make bench): each page's server time and its SQL queries, printed, never asserted.

Server time is the time Django takes to answer in this process (middleware, view, template;
no network, no ASGI server), the median and p90 of ROUNDS requests after one warm-up, as the
demo's admin. The queries are counted for the same request; the list and the dashboard are
also counted at a first and a far page, to show that they do not grow with the rows shown.

Builds its own PostgreSQL database (plantao_bench_web, recreated each run, dropped at the end)
and uses Redis db 3 as cache. Static files are served from the finders (the test settings'
storage), so no collectstatic is needed. Skips (exit 0) when PostgreSQL or Redis is missing.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as harness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "plantao_bench_web"
REDIS = "redis://127.0.0.1:6379/3"
INCIDENTS, OPEN = 10_000, 40
ROUNDS = 20


def _organisation() -> int:
    """Add INCIDENTS incidents to the demo (OPEN of them open); return a resolved one's number."""
    from incidents.models import Incident, Service
    from oncall import clock

    now = clock.now()
    service_ids = list(Service.objects.values_list("pk", flat=True))

    def incident(n: int) -> Incident:
        status = ("triggered", "acknowledged")[n % 2] if n >= INCIDENTS - OPEN else "resolved"
        return harness.bench_incident(
            n,
            status=status,
            service_ids=service_ids,
            created=now - timedelta(minutes=INCIDENTS - n),
        )

    for start in range(0, INCIDENTS, 5_000):
        Incident.objects.bulk_create(incident(n) for n in range(start, start + 5_000))
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Incident.objects.filter(status="resolved").order_by("-pk").first().pk


def _measure(client, path: str) -> tuple[float, float, int, int]:
    """Return (median ms, p90 ms, queries, status) of GET `path`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(path)
    return (
        statistics.median(times),
        harness.percentile(times, 0.9),
        len(queries),
        answer.status_code,
    )


def main() -> None:
    if harness.services_missing("bench_web"):
        return
    harness.database(DATABASE, create=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = harness.production_env(database=DATABASE, redis=REDIS, tmp=Path(tmp))
            env["DJANGO_SETTINGS_MODULE"] = "oncall.config.settings.test"
            env["ALLOWED_HOSTS"] = "testserver"
            harness.demo_load(env, ROOT)
            os.environ.update(env)
            sys.path.insert(0, str(ROOT))
            import django

            django.setup()
            _run()
    finally:
        from django.db import connections

        connections.close_all()
        harness.database(DATABASE, create=False)


def _run() -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    number = _organisation()
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    pages = [
        ("dashboard", "/"),
        ("dashboard's open incidents (polled)", "/dashboard/incidents/"),
        ("incident list (board)", "/incidents/"),
        ("incident list, resolved, page 1", "/incidents/?status=resolved"),
        ("incident list, resolved, page 300", "/incidents/?status=resolved&page=300"),
        (
            "incident list, high urgency, since 2020",
            "/incidents/?urgency=high&since=2020-01-01T00:00",
        ),
        (f"incident #{number}", f"/incidents/{number}/"),
    ]
    print(f"{INCIDENTS} incidents ({OPEN} open), {ROUNDS} rounds each, server time in process")
    for name, path in pages:
        median, p90, queries, status = _measure(client, path)
        print(
            f"  {name:44} {median:7.1f} ms median {p90:7.1f} ms p90 {queries:3} queries ({status})"
        )


if __name__ == "__main__":
    main()
