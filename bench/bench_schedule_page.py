"""The schedule page of the demo Primary (3 layers, 17 people) with 100 overrides (make bench):
the week view and the month view, server time and SQL queries, printed, never asserted.
Targets (issue 18): the week under 100 ms, the month under 200 ms.

Server time is the time Django takes to answer in this process (middleware, view, template; no
network, no ASGI server): the median and p90 of ROUNDS requests after one warm-up, as the demo's
admin. The queries are counted on one more request. The 100 overrides are spread over the month
shown and the week either side of it (4 hours each, every member in turn), so the week view
draws a share of them and the month view all.

It runs twice, each in a process of its own: on SQLite (a file in a temporary directory) and on
PostgreSQL (its own database plantao_bench_schedule_page, recreated each run, dropped at the
end; skipped when PostgreSQL is not reachable). No Redis: the cache is local memory. The test
settings serve static files from the finders, so no collectstatic is needed.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as harness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "plantao_bench_schedule_page"
OVERRIDES, ROUNDS = 100, 20
TARGETS = {"week": 100.0, "month": 200.0}


def _env(kind: str, tmp: Path) -> dict:
    env = harness.production_env(database=DATABASE, redis="", tmp=tmp)
    env.update(
        DJANGO_SETTINGS_MODULE="oncall.config.settings.test",
        ALLOWED_HOSTS="testserver",
        CELERY_BROKER_URL="filesystem://",
        PLANTAO_VAR_DIR=str(tmp),
    )
    env.pop("REDIS_URL", None)
    if kind == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    return env


# --- in the measuring process -------------------------------------------------------------------


def _overrides(schedule, now) -> None:
    """Give `schedule` OVERRIDES overrides of 4 hours over this month and a week either side."""
    from django.contrib.auth import get_user_model

    from oncall import services
    from oncall.models import Person

    people = list(Person.objects.filter(memberships__team=schedule.team).order_by("pk"))
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=7)
    step = timedelta(days=45) / OVERRIDES
    specs = [
        services.OverrideSpec(
            person=people[i % len(people)],
            start=first + i * step,
            end=first + i * step + timedelta(hours=4),
            reason=f"bench {i}",
        )
        for i in range(OVERRIDES)
    ]
    admin = get_user_model().objects.get(username="admin")
    services.overrides_create(schedule=schedule, overrides=specs, created_by=admin)


def _measure(client, path: str) -> tuple[float, float, int, int, str]:
    """Return (median ms, p90 ms, queries, status, body) of GET `path`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(path)
    return (
        statistics.median(times),
        harness.percentile(times, 0.9),
        len(queries),
        answer.status_code,
        answer.content.decode(),
    )


def measure(label: str) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from oncall import clock
    from oncall.models import Override, Schedule

    primary = Schedule.objects.get(name="Primary")
    _overrides(primary, clock.now())
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    layers, overrides = primary.layers.count(), Override.objects.filter(schedule=primary).count()
    print(f"{label}: Primary with {layers} layers, {overrides} overrides, {ROUNDS} rounds each")
    for view in ("week", "month"):
        path = f"/schedules/{primary.pk}/?view={view}"
        median, p90, queries, status, body = _measure(client, path)
        drawn = body.count('class="block') - body.count('class="block__label')
        verdict = "under" if median < TARGETS[view] else "OVER"
        print(
            f"  {view:6} {median:7.1f} ms median {p90:7.1f} ms p90 {queries:3} queries "
            f"({status}; {drawn} blocks drawn; target {TARGETS[view]:.0f} ms: {verdict})",
            flush=True,
        )


# --- the driver ---------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1:  # a measuring process, started below
        measure(sys.argv[1])
        return
    print("conditions: Django's test client in one process, DEBUG off, the demo organisation")
    harness.each_database(
        __file__,
        root=ROOT,
        database_name=DATABASE,
        env_for=_env,
        prefix="plantao-bench-schedule-page-",
    )


if __name__ == "__main__":
    main()
