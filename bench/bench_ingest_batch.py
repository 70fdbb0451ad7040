"""CPU of one 100-alert Alertmanager request, split parse / store (make bench): figures, never
asserts.

Issue 23 asks for Alertmanager batches of 100 at >= 8,000 alerts/s on two cores; the web tier's
share of that is the CPU of one request. In ONE process, with production settings (its own
PostgreSQL database, plantao_bench_batch, recreated with the demo loaded; Redis db 7 as cache
and broker, or BENCH_REDIS_URL), run the two halves of the request path the ingest lane runs,
on 100 alerts with distinct fingerprints (bench/_harness.py's Alertmanager body):

- parse: `json_decode` then `alertmanager.parse` (what `alerts_take` does after the token check);
- store: `alerts_store` inside a transaction, then COMMIT (what the group commit does, with a
  group of one request).

Each is timed by the process CPU clock (and the wall clock) per request; the medians are
printed, with the CPU spent in the database client separated out for the store (the time
PostgreSQL itself spends is another process's). A cProfile of the two halves follows, with the
functions that take most of their time. Skips (exit 0) when PostgreSQL is not reachable.
"""

from __future__ import annotations

import cProfile
import os
import platform
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as harness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "plantao_bench_batch"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
BATCH = 100
WARM = 20  # requests before the measured ones
MEASURED = 200
PROFILED = 50
TOP = 15


def _bodies(prefix: str, count: int) -> list[bytes]:
    head, alert, tail = harness.alertmanager_template(BATCH)
    return [
        (
            head
            + ",".join(
                alert.replace("FINGERPRINT", f"{prefix}{index:05d}{n:03d}").replace(
                    "INSTANCE", f"{n:04d}"
                )
                for n in range(BATCH)
            )
            + tail
        ).encode()
        for index in range(count)
    ]


def _integration():
    from incidents.models import Integration, Service
    from incidents.services.integrations import integration_create

    integration, _ = integration_create(
        service=Service.objects.get(name="catalog"),
        kind=Integration.Kind.ALERTMANAGER,
        name="bench-batch",
    )
    return Integration.objects.select_related("service").get(pk=integration.pk)


def _parse(raw: bytes):
    from incidents.ingest import alertmanager
    from incidents.ingest.body import json_decode

    return alertmanager.parse(json_decode(raw))


def _store(integration, events, now) -> None:
    from django.db import transaction

    from incidents.services.alerts import alerts_store

    with transaction.atomic():
        results = alerts_store(integration=integration, events=events, now=now)
    assert sum(result.created for result in results) == BATCH, "every alert opens an incident"


def _backend_cpu(pid: int) -> float:
    """Return the CPU seconds PostgreSQL's backend `pid` has spent (it runs on this machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / harness.TICKS


def _run(integration, bodies: list[bytes]) -> dict[str, list[float]]:
    """Parse and store each body; return the CPU and wall seconds of each half, the CPU spent
    inside the database client during the store, and PostgreSQL's backend CPU in all."""
    from django.db import connection

    from oncall import clock

    spent = {"parse": [], "store": [], "parse wall": [], "store wall": [], "store: db": []}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    backend_before = _backend_cpu(backend)
    for raw in bodies:
        started, cpu = time.perf_counter(), time.process_time()
        events = _parse(raw)
        parsed, parsed_cpu = time.perf_counter(), time.process_time()
        inside = [0.0]

        def timer(execute, sql, params, many, context, inside=inside):
            before = time.process_time()
            try:
                return execute(sql, params, many, context)
            finally:
                inside[0] += time.process_time() - before

        with connection.execute_wrapper(timer):
            _store(integration, events, clock.now())
        spent["parse"].append(parsed_cpu - cpu)
        spent["store"].append(time.process_time() - parsed_cpu)
        spent["parse wall"].append(parsed - started)
        spent["store wall"].append(time.perf_counter() - parsed)
        spent["store: db"].append(inside[0])
    spent["backend"] = [(_backend_cpu(backend) - backend_before) / len(bodies)]
    return spent


def _profile(integration, bodies: list[bytes]) -> list[str]:
    from oncall import clock

    profiler = cProfile.Profile()
    profiler.enable()
    for raw in bodies:
        _store(integration, _parse(raw), clock.now())
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    rows = sorted(
        (
            (tt, cum, calls, f"{Path(file).name}:{line} {name}")
            for (file, line, name), (_, calls, tt, cum, _) in stats.items()
        ),
        reverse=True,
    )[:TOP]
    return [
        f"  {tt / len(bodies) * 1000:7.2f} {cum / len(bodies) * 1000:8.2f} "
        f"{calls / len(bodies):8.0f}  {where}"
        for tt, cum, calls, where in rows
    ]


def main() -> None:
    if harness.services_missing("bench_ingest_batch"):
        return
    tmp = Path(tempfile.mkdtemp(prefix="plantao-bench-batch-"))
    env = harness.production_env(database=DATABASE, redis=REDIS, tmp=tmp)
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    harness.database(DATABASE, create=True)
    harness.demo_load(env, ROOT)

    import django
    import redis as redis_client

    redis = redis_client.Redis.from_url(REDIS)
    django.setup()
    try:
        integration = _integration()
        _run(integration, _bodies("w", WARM))
        spent = _run(integration, _bodies("m", MEASURED))
        profile = _profile(integration, _bodies("p", PROFILED))
        print(
            f"conditions: Python {platform.python_version()}, {os.cpu_count()} CPUs (shared), "
            f"PostgreSQL {harness.PG_HOST}:{harness.PG_PORT}/{DATABASE} (fresh, demo loaded), "
            f"{REDIS} as cache and broker, production settings, one process, "
            f"{MEASURED} requests of {BATCH} new alerts (distinct fingerprints) after {WARM}"
        )
        print(f"per {BATCH}-alert request (median)      CPU ms   wall ms")
        for half in ("parse", "store"):
            cpu = harness.percentile(spent[half], 0.5) * 1000
            wall = harness.percentile(spent[f"{half} wall"], 0.5) * 1000
            print(f"  {half:<34} {cpu:7.2f} {wall:9.2f}")
        db = harness.percentile(spent["store: db"], 0.5) * 1000
        print(f"    of which in the database client   {db:7.2f}")
        backend = spent["backend"][0] * 1000
        print(f"  PostgreSQL backend (mean, /proc)   {backend:7.2f}")
        total = [p + s for p, s in zip(spent["parse"], spent["store"], strict=True)]
        cpu = harness.percentile(total, 0.5)
        print(
            f"  parse + store                      {cpu * 1000:7.2f}   "
            f"(one core: {BATCH / cpu:,.0f} alerts/s for these two halves alone; with "
            f"PostgreSQL's backend: {BATCH / (cpu + spent['backend'][0]):,.0f})"
        )
        print(f"profile of {PROFILED} requests (cProfile, so slower), per request:")
        print("  own ms   cum ms    calls  function")
        print("\n".join(profile))
    finally:
        harness.bench_end(web=None, redis=redis, database_name=DATABASE, tmp=tmp)


if __name__ == "__main__":
    main()
