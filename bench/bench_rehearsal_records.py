"""What a rehearsal's server recorded, read for `manage.py rehearse` (make bench): the time and
SQL queries of the selector rehearsal_records and of GET /api/v1/rehearsals/{id}/ over a
rehearsal of INCIDENTS incidents, then the time to finish it (resolving them all) and to remove
them, printed, never asserted. Target (issue 21): well under a
second or two on SQLite.

The rehearsal: INCIDENTS incidents of the demo's edge service's rehearsal twin, opened over
INCIDENTS / RATE seconds; each with two alerts (its trigger and a repeat), a fired first step
(its ESCALATED entry, a little late) and three pages to the on-call person (an SMS and a
call sent, an e-mail sent or, for one in ten, failed); one in five also fired a second step with
two pages. Every sent page's provider id is one the rehearsal channel recorded.

Times are the median and p90 of ROUNDS calls after one warm-up, in this process (the API through
Django's test client: middleware, view, no network), with an admin token of a superuser.
Queries are counted on one more call.

It runs twice, each in a process of its own: on SQLite (a file in a temporary directory) and on
PostgreSQL (its own database plantao_bench_rehearsal, recreated each run, dropped at the end;
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
DATABASE = "plantao_bench_rehearsal"
INCIDENTS = int(os.environ.get("BENCH_REHEARSAL_INCIDENTS", "5000"))
RATE, ROUNDS, BATCH = 500, 10, 5_000


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


def _rehearsal(now):
    """Make the rehearsal and its recorded history; return it."""
    from incidents.models import (
        Alert,
        Incident,
        Page,
        Rehearsal,
        Service,
        TimelineEntry,
    )
    from incidents.rehearsals.twins import twin_for
    from oncall.models import Person, RehearsalSend

    twin = twin_for(Service.objects.get(name="edge"))
    start = now - timedelta(seconds=INCIDENTS / RATE + 120)
    rehearsal = Rehearsal.objects.create(
        service=twin, alerts=2 * INCIDENTS, rate=RATE, shape="steady", started_at=start
    )
    person = Person.objects.filter(contact_methods__kind="sms").order_by("pk").first()
    incidents = Incident.objects.bulk_create(
        (
            Incident(
                service=twin,
                kind="rehearsal",
                dedup_key=f"rehearsal-{n}",
                title=f"Rehearsal {n}",
                created_at=start + timedelta(seconds=n / RATE, milliseconds=8),
                first_paged_at=start + timedelta(seconds=n / RATE, milliseconds=120),
            )
            for n in range(INCIDENTS)
        ),
        batch_size=BATCH,
    )
    alerts, entries, pages, sends = [], [], [], []
    for n, incident in enumerate(incidents):
        opened = incident.created_at - timedelta(milliseconds=8)
        for repeat in range(2):
            alerts.append(
                Alert(
                    incident=incident,
                    action="trigger",
                    dedup_key=incident.dedup_key,
                    received_at=opened + timedelta(milliseconds=300 * repeat),
                )
            )
        steps = [(0, incident.created_at)] + ([(1, opened + timedelta(minutes=5))] * (n % 5 == 0))
        for step, due in steps:
            fired = due + timedelta(milliseconds=40 + n % 50)
            entries.append(
                TimelineEntry(
                    incident=incident,
                    kind="escalated",
                    at=fired,
                    data={"step": step, "loop": 0, "due_at": due.isoformat()},
                )
            )
            kinds = ("sms", "voice", "email") if step == 0 else ("sms", "voice")
            for rule, kind in enumerate(kinds):
                failed = kind == "email" and n % 10 == 0
                sent = fired + timedelta(seconds=0.1 + rule * (n % 7))
                provider = f"rehearsal-{n}-{step}-{rule}"
                pages.append(
                    Page(
                        incident=incident,
                        step=step,
                        loop=0,
                        person=person,
                        rule_id=rule + 1,
                        kind=kind,
                        address="+12125550100",
                        urgency="high",
                        state="failed" if failed else "sent",
                        due_at=fired,
                        created_at=fired,
                        sent_at=None if failed else sent,
                        failed_at=sent if failed else None,
                        provider_id="" if failed else provider,
                    )
                )
                if not failed:
                    sends.append(
                        RehearsalSend(
                            reference=provider,
                            kind=kind,
                            address="+12125550100",
                            provider_id=provider,
                            sent_at=sent,
                        )
                    )
    Alert.objects.bulk_create(alerts, batch_size=BATCH)
    TimelineEntry.objects.bulk_create(entries, batch_size=BATCH)
    Page.objects.bulk_create(pages, batch_size=BATCH)
    RehearsalSend.objects.bulk_create(sends, batch_size=BATCH)
    return rehearsal


def _timed(call) -> tuple[float, float, int, object]:
    """Return (median ms, p90 ms, queries, answer) of `call()`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        answer = call()
    return statistics.median(times), harness.percentile(times, 0.9), len(queries), answer


def measure(label: str) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from incidents.models import Alert, Page
    from incidents.rehearsals.selectors import rehearsal_records
    from oncall import clock
    from oncall.tokens import api_token_create

    now = clock.now()
    rehearsal = _rehearsal(now)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    root = get_user_model().objects.filter(is_superuser=True).first()
    if root is None:
        root = get_user_model().objects.create_superuser("bench-root", "root@example.org", "x")
    _, secret = api_token_create(user=root, name="bench", scope="admin", now=now)
    client = Client()

    def api():
        answer = client.get(
            f"/api/v1/rehearsals/{rehearsal.pk}/", HTTP_AUTHORIZATION=f"Bearer {secret}"
        )
        assert answer.status_code == 200, answer.content[:500]
        return answer.json()

    selector = _timed(lambda: rehearsal_records(rehearsal, now=now))
    answered = _timed(api)
    progress = answered[3]["progress"]
    print(
        f"{label}: {INCIDENTS} incidents, {Alert.objects.count()} alerts, "
        f"{Page.objects.count()} pages; settled {progress['incidents_settled']}, "
        f"real channel sends {answered[3]['records']['real_channel_sends']}; {ROUNDS} rounds each"
    )
    for name, (median, p90, queries, _) in (
        ("rehearsal_records", selector),
        ("GET /api/v1/rehearsals/{id}/", answered),
    ):
        print(f"  {name:30} {median:7.1f} ms median {p90:7.1f} ms p90 {queries:3} queries")
    print(f"  answer size {len(str(answered[3])) // 1024} KiB")
    # Once each: finishing resolves every incident (all still open here), removing deletes them.
    from incidents.models import Incident
    from incidents.rehearsals.services import rehearsal_finish, rehearsal_remove

    start = time.perf_counter()
    rehearsal_finish(rehearsal=rehearsal, report={"p50": 1}, passed=True, now=now)
    finished = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    rehearsal_remove(rehearsal=rehearsal, now=now)
    removed = (time.perf_counter() - start) * 1000
    left = Incident.objects.filter(service=rehearsal.service).count()
    print(
        f"  finish (resolve {INCIDENTS}) {finished:7.1f} ms, remove {removed:7.1f} ms "
        f"({left} incidents left)",
        flush=True,
    )


# --- the driver ---------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1:  # a measuring process, started below
        measure(sys.argv[1])
        return
    print("conditions: in one process (the API through Django's test client), DEBUG off, demo")
    harness.each_database(
        __file__, root=ROOT, database_name=DATABASE, env_for=_env, prefix="plantao-bench-rehearsal-"
    )


if __name__ == "__main__":
    main()
