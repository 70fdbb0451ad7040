"""Insights for a team over 90 days with 100,000 incidents and 300,000 pages (make bench):
server time and SQL queries of GET /api/v1/insights/, printed, never asserted. Target (issue 19):
under 300 ms on PostgreSQL; SQLite is printed for information.

Server time is the time Django takes to answer in this process (middleware, view, serializer; no
network, no ASGI server): the median and p90 of ROUNDS requests after one warm-up, with a read
token of a demo team member (not a superuser). The queries are counted on one more request.

The history: 100,000 incidents spread evenly over the last 90 days on the demo's six services
(3 in 4 acknowledged, by SMS, voice, Slack or the web, after 20 s to 30 min; 9 in 10 resolved;
1 in 10 resolved by monitoring within 5 minutes unacknowledged), 300 alert names, 1.5 alerts and
3 pages (to the demo's people, with their interruption class) per incident. The rollup is then
brought up to date, as the periodic task keeps it, and the time that takes is printed; so is the
answer's time without any rollup (raw rows only), and whether both answers are identical.

It runs twice, each in a process of its own: on SQLite (a file in a temporary directory) and on
PostgreSQL (its own database plantao_bench_insights, recreated each run, dropped at the end;
skipped when PostgreSQL is not reachable). No Redis: the cache is local memory.
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
DATABASE = "plantao_bench_insights"
SMALL = os.environ.get("BENCH_INSIGHTS_SMALL") == "1"  # a quick run: figures meaningless
INCIDENTS = 5_000 if SMALL else 100_000
PAGES_EACH, NAMES, ROUNDS, DAYS, BATCH = 3, 300, 10, 90, 5_000
TARGET_MS = 300.0
CHANNELS = ["sms", "voice", "slack", "web"]


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


def _incident(n: int, services: list[int], now):
    from incidents.models import Incident

    created = now - timedelta(days=DAYS) + timedelta(seconds=n * DAYS * 86400 / INCIDENTS)
    name = f"Bench{n * 7919 % NAMES:03d}"
    fields = {}
    if n % 10 == 0:  # resolved by monitoring within 5 minutes, unacknowledged: noise
        fields = {"status": "resolved", "resolved_at": created + timedelta(seconds=60 + n % 200)}
    elif n % 4:
        acked = created + timedelta(seconds=20 + n * 37 % 1800)
        fields = {
            "status": "acknowledged",
            "acknowledged_at": acked,
            "ack_source": CHANNELS[n % 4],
        }
        if n % 10 != 1:
            fields |= {"status": "resolved", "resolved_at": acked + timedelta(minutes=n % 240)}
    return Incident(
        service_id=services[n % len(services)],
        dedup_key=f"bench-{n}",
        title=f"{name} on edge-{n % 40}",
        alert_name=name,
        details={"labels": {"alertname": name}},
        created_at=created,
        **fields,
    )


def _history(now) -> None:
    """Insert the incidents, their alerts and pages, BATCH incidents at a time."""
    from incidents.models import Alert, Incident, Page, Service
    from oncall import fatigue
    from oncall.models import Person

    services = list(Service.objects.order_by("pk").values_list("pk", flat=True))
    people = list(Person.objects.order_by("pk").values_list("pk", "time_zone"))
    for first in range(0, INCIDENTS, BATCH):
        rows = Incident.objects.bulk_create(
            _incident(n, services, now) for n in range(first, min(first + BATCH, INCIDENTS))
        )
        alerts, pages = [], []
        for incident in rows:
            n = incident.pk
            for k in range(1 + n % 2):
                at = incident.created_at + timedelta(seconds=30 * k)
                alerts.append(
                    Alert(incident=incident, action="trigger", dedup_key="b", received_at=at)
                )
            for k in range(PAGES_EACH):
                person, zone = people[(n + k) % len(people)]
                sent = incident.created_at + timedelta(seconds=10 + 300 * k)
                local, interruption = fatigue.interruption_at(sent, zone)
                pages.append(
                    Page(
                        incident=incident,
                        step=k,
                        loop=0,
                        person_id=person,
                        rule_id=1,
                        kind="sms",
                        address="+12125550100",
                        urgency="high",
                        state="sent",
                        due_at=sent,
                        created_at=sent,
                        sent_at=sent,
                        local_time=local.isoformat(timespec="seconds"),
                        interruption=interruption,
                    )
                )
        Alert.objects.bulk_create(alerts)
        Page.objects.bulk_create(pages)


def _measure(client, path: str, secret: str) -> tuple[float, float, int, dict]:
    """Return (median ms, p90 ms, queries, answer) of GET `path`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    client.get(path, **auth)
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        answer = client.get(path, **auth)
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(path, **auth)
    assert answer.status_code == 200, answer.content[:500]
    return statistics.median(times), harness.percentile(times, 0.9), len(queries), answer.json()


def _analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a table at rest


def measure(label: str) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from urllib.parse import urlencode

    from django.test import Client

    from incidents.insights.rollup import rollup_advance
    from incidents.models import InsightBucket, Page, RollupWatermark
    from oncall import clock
    from oncall.models import Membership, Team
    from oncall.tokens import api_token_create

    now = clock.now()
    started = time.perf_counter()
    _history(now)
    _analyze()
    print(f"{label}: history inserted in {time.perf_counter() - started:.0f} s", flush=True)
    team = Team.objects.get(name="Platform SRE")
    member = Membership.objects.filter(team=team, person__user__is_superuser=False).first()
    _, secret = api_token_create(user=member.person.user, name="bench", scope="read", now=now)
    query = {
        "team": team.pk,
        "since": (now - timedelta(days=DAYS)).isoformat(),
        "until": now.isoformat(),
        "tz": "America/Sao_Paulo",
    }
    path = f"/api/v1/insights/?{urlencode(query)}"
    client = Client()

    raw = _measure(client, path, secret)
    started = time.perf_counter()
    rollup_advance(now=now)
    rolled_in = time.perf_counter() - started
    _analyze()
    rows = InsightBucket.objects.count()
    mark = RollupWatermark.objects.get().until
    print(
        f"  rollup: {rolled_in:.1f} s to roll up {DAYS} days ({rows} 15-minute buckets; "
        f"watermark {mark:%Y-%m-%d %H:%M} UTC, {(now - mark).total_seconds() / 60:.0f} min ago)"
    )
    rolled = _measure(client, path, secret)
    pages = Page.objects.count()
    print(
        f"  {INCIDENTS} incidents, {pages} pages; GET /api/v1/insights/ for the team, {DAYS} days, "
        f"{ROUNDS} rounds"
    )
    for name, (median, p90, queries, _) in (("raw rows only", raw), ("with the rollup", rolled)):
        verdict = "under" if median < TARGET_MS else "OVER"
        print(
            f"  {name:16} {median:7.1f} ms median {p90:7.1f} ms p90 {queries:3} queries "
            f"(target {TARGET_MS:.0f} ms: {verdict})",
            flush=True,
        )
    same = "yes" if raw[3] == rolled[3] else "NO"
    print(f"  the answers with and without the rollup are identical: {same}", flush=True)


# --- the driver ---------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1:  # a measuring process, started below
        measure(sys.argv[1])
        return
    print("conditions: Django's test client in one process, DEBUG off, the demo organisation")
    harness.each_database(
        __file__, root=ROOT, database_name=DATABASE, env_for=_env, prefix="plantao-bench-insights-"
    )


if __name__ == "__main__":
    main()
