"""The postmortem editor (make bench): the page of a postmortem whose timeline holds 50 entries,
then one holding 2,000, each with 10 action items; the server time and SQL queries of the page,
and of an autosave of one section; printed, never asserted.

Each postmortem is started (postmortem_start) from an incident whose record holds that many
timeline entries (notes, escalations, snoozes… by the team's people). Server time is the time
Django takes to answer in this process (middleware, view, template; no network, no ASGI server):
the median and p90 of ROUNDS requests after one warm-up, as the demo's admin (a team admin, who
gets every form of the page). The queries are counted on one more request. Each autosave posts
one section with the revision the previous one returned, as static/js/autosave.js does.

It runs twice, each in a process of its own: on SQLite (a file in a temporary directory) and on
PostgreSQL (its own database plantao_bench_postmortem_page, recreated each run, dropped at the
end; skipped when PostgreSQL is not reachable). No Redis: the cache is local memory.
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
DATABASE = "plantao_bench_postmortem_page"
SIZES, ITEMS, ROUNDS = (50, 2_000), 10, 20


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


def _postmortem(n: int, entries: int, now):
    """Return a postmortem started from an incident with `entries` timeline entries, and
    ITEMS action items."""
    from incidents.models import Service, TimelineEntry
    from incidents.services.postmortems import action_item_create, postmortem_start
    from oncall.models import Person

    began = now - timedelta(days=1, hours=n)
    service = Service.objects.get(name="edge")
    incident = harness.bench_incident(n, status="resolved", service_ids=[service.pk], created=began)
    incident.save()
    people = list(Person.objects.filter(memberships__team=service.team).order_by("pk"))
    kinds = ("escalated", "note", "snoozed", "reassigned", "responder_added")
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            incident=incident,
            at=began + timedelta(seconds=i),
            kind=kinds[i % len(kinds)],
            source="web",
            actor=people[i % len(people)],
            message=f"Entry {i} of the record.",
        )
        for i in range(entries)
    )
    by = Person.objects.get(user__username="admin")
    postmortem = postmortem_start(incidents=[incident], by=by, now=now)
    for i in range(ITEMS):
        action_item_create(
            postmortem=postmortem,
            by=by,
            now=now,
            title=f"Action {i}",
            owner=people[i % len(people)],
            due_on=(now + timedelta(days=i)).date(),
        )
    return postmortem


def _timed(call) -> tuple[float, float, int, object]:
    """Return (median ms, p90 ms, queries of one more call, its answer) of ROUNDS calls."""
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


def _autosave(client, postmortem):
    section = postmortem.sections.order_by("position").first()
    state = {"revision": postmortem.revision, "n": 0}

    def save():
        state["n"] += 1
        answer = client.post(
            f"/postmortems/{postmortem.pk}/autosave/",
            {"revision": state["revision"], f"section-{section.pk}": f"Draft {state['n']}."},
        )
        state["revision"] = answer.json()["revision"]
        return answer

    return save


def measure(label: str) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from oncall import clock

    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    print(f"{label}: {ROUNDS} rounds each after a warm-up, {ITEMS} action items each", flush=True)
    for n, size in enumerate(SIZES):
        postmortem = _postmortem(n, size, clock.now())
        entries = postmortem.entries.count()
        path = f"/postmortems/{postmortem.pk}/"
        median, p90, queries, answer = _timed(lambda path=path: client.get(path))
        kib = len(answer.content) / 1024
        print(
            f"  editor   {entries:5} entries {median:7.1f} ms median {p90:7.1f} ms p90 "
            f"{queries:3} queries ({answer.status_code}; {kib:.0f} KiB)",
            flush=True,
        )
        median, p90, queries, answer = _timed(_autosave(client, postmortem))
        print(
            f"  autosave {entries:5} entries {median:7.1f} ms median {p90:7.1f} ms p90 "
            f"{queries:3} queries ({answer.status_code})",
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
        prefix="plantao-bench-postmortem-page-",
    )


if __name__ == "__main__":
    main()
