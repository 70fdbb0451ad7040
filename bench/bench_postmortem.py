"""Starting a postmortem of an incident with a long record (make bench): about 5,000 rows of
record (3,000 timeline entries, 1,000 alerts, 1,000 pages), drafted into one postmortem; the
time and SQL queries of postmortem_start, and of reading the postmortem whole
(postmortem_detail), printed, never asserted.

Each round starts a postmortem of its own incident (an incident has one postmortem), all alike:
the median and the slowest of ROUNDS, after one warm-up; the queries are counted on the last.
Every drafted entry is recorded in the audit log too (audit_bulk_created), inside the time.

It runs twice, each in a process of its own: on SQLite (a file in a temporary directory) and on
PostgreSQL (its own database plantao_bench_postmortem, recreated each run, dropped at the end;
skipped when PostgreSQL is not reachable). No Redis: the cache is local memory.
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
DATABASE = "plantao_bench_postmortem"
TIMELINE, ALERTS, PAGES = 3_000, 1_000, 1_000  # PAGES of the TIMELINE entries are page_sent
ROUNDS = 3


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


def _incident(n: int, now):
    """Return a resolved critical incident with a record of TIMELINE + ALERTS + PAGES rows."""
    from incidents.models import Alert, Page, Service, TimelineEntry
    from oncall.models import ContactMethod, Person

    began = now - timedelta(days=1, hours=n)
    service = Service.objects.get(name="edge")
    incident = harness.bench_incident(n, status="resolved", service_ids=[service.pk], created=began)
    incident.severity = "critical"
    incident.save()
    methods = {m.person_id: m for m in ContactMethod.objects.filter(kind="sms")}
    people = list(
        Person.objects.filter(memberships__team=service.team, pk__in=methods).order_by("pk")
    )
    pages = Page.objects.bulk_create(
        Page(
            incident=incident,
            step=0,
            loop=i,
            person=people[i % len(people)],
            rule_id=1,
            contact_method=methods[people[i % len(people)].pk],
            kind="sms",
            address=methods[people[i % len(people)].pk].address,
            urgency="high",
            state="delivered" if i % 2 else "sent",
            due_at=began + timedelta(seconds=i),
            created_at=began + timedelta(seconds=i),
            sent_at=began + timedelta(seconds=i),
            delivered_at=began + timedelta(seconds=i + 3) if i % 2 else None,
        )
        for i in range(PAGES)
    )
    kinds = ("escalated", "note", "snoozed", "reassigned", "responder_added")
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                incident=incident,
                at=page.sent_at,
                kind="page_sent",
                message=f"sms to {page.person.display_name}",
                data={"page": page.pk},
            )
            for page in pages
        ]
        + [
            TimelineEntry(
                incident=incident,
                at=began + timedelta(seconds=i),
                kind=kinds[i % len(kinds)],
                source="web",
                actor=people[i % len(people)],
                message=f"Entry {i} of the record.",
            )
            for i in range(TIMELINE - PAGES)
        ]
    )
    Alert.objects.bulk_create(
        Alert(
            incident=incident,
            action="trigger",
            dedup_key=incident.dedup_key,
            title=incident.title,
            severity="critical",
            received_at=began + timedelta(seconds=i),
        )
        for i in range(ALERTS)
    )
    return incident


def _start(incident, by, now) -> tuple[float, int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.services.postmortems import postmortem_start

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        postmortem = postmortem_start(incidents=[incident], by=by, now=now)
        took = (time.perf_counter() - start) * 1000
    return took, len(queries), postmortem


def _detail(postmortem, user) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.postmortem_selectors import postmortem_detail

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        detail = postmortem_detail(postmortem_id=postmortem.pk, user=user)
        shown = sum(1 for entry in detail.entries.all() if entry.incident is not None)
        took = (time.perf_counter() - start) * 1000
    return took, len(queries), shown


def measure(label: str) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from oncall import clock
    from oncall.models import AuditEntry, Person

    now = clock.now()
    by = Person.objects.get(user__username="admin")
    incidents = [_incident(n, now) for n in range(ROUNDS + 1)]
    print(
        f"{label}: {ROUNDS} rounds after a warm-up; each incident's record: {TIMELINE} timeline "
        f"entries ({PAGES} of them page_sent), {ALERTS} alerts, {PAGES} pages",
        flush=True,
    )
    _start(incidents[0], by, now)  # warm-up
    times, queries, postmortem = [], 0, None
    for incident in incidents[1:]:
        audited = AuditEntry.objects.count()
        took, queries, postmortem = _start(incident, by, now)
        times.append(took)
    drafted = postmortem.entries.count()
    audit_rows = AuditEntry.objects.count() - audited
    print(
        f"  postmortem_start  {statistics.median(times):8.1f} ms median {max(times):8.1f} ms max "
        f"{queries:3} queries ({drafted} entries drafted, {audit_rows} audit rows)",
        flush=True,
    )
    detail_ms, detail_queries, shown = _detail(postmortem, by.user)
    print(
        f"  postmortem_detail {detail_ms:8.1f} ms {detail_queries:3} queries "
        f"({shown} entries read with their incident)",
        flush=True,
    )


# --- the driver ---------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1:  # a measuring process, started below
        measure(sys.argv[1])
        return
    print("conditions: one process, DEBUG off, the demo organisation, one incident per round")
    harness.each_database(
        __file__, root=ROOT, database_name=DATABASE, env_for=_env, prefix="plantao-bench-pm-"
    )


if __name__ == "__main__":
    main()
