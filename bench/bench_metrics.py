"""GET /metrics with 100,000 incidents, their alerts and pages, and many processes' Tally rows
(make bench): server time and SQL queries of a scrape, printed, never asserted.

Server time is the time Django takes to answer in this process (no network, no ASGI server): the
median and p90 of ROUNDS scrapes after one warm-up; the queries are counted on one more. The
scrape reads the engine's gauges with indexed queries and sums the Tally rows in one grouped
query, so its cost follows the number of Tally rows (processes x labels), not of incidents.

The history: 100,000 incidents over 90 days on the demo's services (1 in 50 still open, 1 in 20
of those overdue), one alert and two sent pages each, every one with its first page recorded;
then PROCESSES processes' rows (each counted every ingest outcome of every integration kind
and every bucket of the three incident kinds: 68 rows each), as a year of restarts of a busy
installation leaves them before tallies_compact folds the silent ones. Scrapes are measured
before and after that fold. Also printed: what one counted request costs its process (the
in-memory add) and one flush of every label (the upsert a process makes at most once a second).

It runs on SQLite (a file in a temporary directory) and on PostgreSQL (its own database
plantao_bench_metrics, recreated each run, dropped at the end; skipped when PostgreSQL is not
reachable). No Redis.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as harness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "plantao_bench_metrics"
SMALL = os.environ.get("BENCH_METRICS_SMALL") == "1"  # a quick run: figures meaningless
INCIDENTS = 5_000 if SMALL else 100_000
PROCESSES = 100 if SMALL else 2_000
ROUNDS, DAYS, BATCH = 20, 90, 5_000
ADDS = 100_000


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


def _history(now) -> None:
    """Insert the incidents, one alert and two sent pages each, BATCH incidents at a time."""
    from incidents.models import Alert, Incident, Page, Service
    from oncall.models import Person

    services = list(Service.objects.order_by("pk").values_list("pk", flat=True))
    people = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    for first in range(0, INCIDENTS, BATCH):
        incidents = []
        for n in range(first, min(first + BATCH, INCIDENTS)):
            created = now - timedelta(days=DAYS) + timedelta(seconds=n * DAYS * 86400 / INCIDENTS)
            incident = harness.bench_incident(
                n,
                status="triggered" if n % 50 == 0 else "resolved",
                service_ids=services,
                created=created,
            )
            if n % 1000 == 0:  # open and overdue: the engine's gauges have something to find
                incident.esc_due_at = now - timedelta(seconds=n % 97)
            incident.first_paged_at = created + timedelta(seconds=1 + n % 40)
            incidents.append(incident)
        rows = Incident.objects.bulk_create(incidents)
        alerts, pages = [], []
        for incident in rows:
            alerts.append(
                Alert(
                    incident=incident,
                    action="trigger",
                    dedup_key=incident.dedup_key,
                    received_at=incident.created_at,
                )
            )
            for k in range(2):
                sent = incident.first_paged_at + timedelta(seconds=300 * k)
                pages.append(
                    Page(
                        incident=incident,
                        step=k,
                        loop=0,
                        person_id=people[(incident.pk + k) % len(people)],
                        rule_id=1,
                        kind="sms",
                        address="+12125550100",
                        urgency="high",
                        state="sent",
                        due_at=sent,
                        created_at=sent,
                        sent_at=sent,
                        interruption="business",
                    )
                )
        Alert.objects.bulk_create(alerts)
        Page.objects.bulk_create(pages)


def _tallies(now) -> int:
    """Insert PROCESSES processes' rows, each silent since a day of the last year."""
    from incidents import tallies
    from incidents.models import Incident, Tally

    labels = [(tallies.INGEST, f"{o}:{k}") for o in tallies.OUTCOMES for k in tallies.INTEGRATIONS]
    labels += [
        (tallies.FIRST_PAGE, f"{kind}:{tallies.le_label(edge)}")
        for kind in Incident.Kind.values
        for edge in tallies.FIRST_PAGE_BUCKETS
    ]
    rows = [
        Tally(
            metric=metric,
            label=label,
            process=f"web-{p % 8}.example.internal:{1000 + p}:{1_700_000_000_000 + p}",
            count=1 + (p * 31 + i) % 500,
            total=float((p + i) % 900),
            updated_at=now - timedelta(days=2 + p * 360 / PROCESSES),
        )
        for p in range(PROCESSES)
        for i, (metric, label) in enumerate(labels)
    ]
    Tally.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _measure(client) -> tuple[float, float, int, bytes]:
    """Return (median ms, p90 ms, queries, body) of GET /metrics."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/metrics")
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        answer = client.get("/metrics")
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        answer = client.get("/metrics")
    assert answer.status_code == 200, answer.content[:500]
    return statistics.median(times), harness.percentile(times, 0.9), len(queries), answer.content


def _analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a table at rest


def _sums(body: bytes) -> dict:
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
        if sample.name.startswith(("plantao_ingest", "plantao_alert_to"))
    }


def _process_costs() -> tuple[float, float]:
    """Return (ns per counted request, ms per flush of every ingest label)."""
    from incidents import tallies

    accumulator = tallies.Accumulator("bench:1:1")
    labels = [f"{o}:{k}" for o in tallies.OUTCOMES for k in tallies.INTEGRATIONS]
    start = time.perf_counter()
    for n in range(ADDS):
        accumulator.add(tallies.INGEST, labels[n % len(labels)])
    add_ns = (time.perf_counter() - start) / ADDS * 1e9
    flushes = []
    for _ in range(ROUNDS):
        for label in labels:
            accumulator.add(tallies.INGEST, label)
        start = time.perf_counter()
        accumulator.flush()
        flushes.append((time.perf_counter() - start) * 1000)
    return add_ns, statistics.median(flushes)


def measure(label: str) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.test import Client

    from incidents import tallies
    from incidents.models import Tally
    from oncall import clock

    now = clock.now()
    started = time.perf_counter()
    _history(now)
    rows = _tallies(now)
    _analyze()
    print(f"{label}: history inserted in {time.perf_counter() - started:.0f} s", flush=True)
    client = Client()
    before = _measure(client)
    started = time.perf_counter()
    folded = tallies.tallies_compact(now=now)
    compact_s = time.perf_counter() - started
    _analyze()
    after = _measure(client)
    left = Tally.objects.count()
    print(
        f"  {INCIDENTS} incidents, {INCIDENTS} alerts, {2 * INCIDENTS} pages; "
        f"GET /metrics, {ROUNDS} rounds"
    )
    for name, (median, p90, queries, body), n in (
        (f"{PROCESSES} processes' rows", before, rows),
        ("after tallies_compact", after, left),
    ):
        print(
            f"  {name:24} {n:7} Tally rows {median:7.1f} ms median {p90:7.1f} ms p90 "
            f"{queries:3} queries, {len(body) // 1024} KiB",
            flush=True,
        )
    same = "yes" if _sums(before[3]) == _sums(after[3]) else "NO"
    print(f"  tallies_compact folded {folded} rows in {compact_s:.2f} s; sums unchanged: {same}")
    add_ns, flush_ms = _process_costs()
    print(
        f"  a counted request: {add_ns:.0f} ns in memory; a flush of all "
        f"{len(tallies.OUTCOMES) * len(tallies.INTEGRATIONS)} ingest labels: "
        f"{flush_ms:.2f} ms median (one statement, at most once a second per process)",
        flush=True,
    )


# --- the driver ---------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1:  # a measuring process, started below
        measure(sys.argv[1])
        return
    print("conditions: Django's test client in one process, DEBUG off, the demo organisation")
    harness.each_database(
        __file__, root=ROOT, database_name=DATABASE, env_for=_env, prefix="plantao-bench-metrics-"
    )


if __name__ == "__main__":
    main()
