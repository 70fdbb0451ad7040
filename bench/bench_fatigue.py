"""Fatigue of the demo team over 90 days (make bench): the time and SQL queries of the
selectors team_fatigue and people_load, and of GET /api/v1/fatigue/, printed, never asserted.

The team is the demo's (17 people in São Paulo, Lisbon and Singapore, on the Primary
follow-the-sun and the weekly Secondary schedules, and the manager). The history: INCIDENTS
incidents spread evenly over the last 90 days on the demo's six services, each paging one or
two people of the team in one or two rounds, every round by SMS and by a call three minutes
later (so a few thousand sent page rows, about half as many notification rounds), each row with
the interruption class of its instant in the person's zone.

Times are the median and p90 of ROUNDS calls after one warm-up, in this process (the API through
Django's test client: middleware, view, no network), with a read token of a team member who is
not a superuser. Queries are counted on one more call.

It runs twice, each in a process of its own: on SQLite (a file in a temporary directory) and on
PostgreSQL (its own database plantao_bench_fatigue, recreated each run, dropped at the end;
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
DATABASE = "plantao_bench_fatigue"
INCIDENTS, ROUNDS, DAYS = 2_000, 10, 90


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


def _history(now, team) -> None:
    """Insert the incidents and their sent pages."""
    from incidents.models import Incident, Page, Service
    from oncall import fatigue

    services = list(Service.objects.filter(team=team).order_by("pk").values_list("pk", flat=True))
    people = list(team.members.order_by("pk").values_list("pk", "time_zone"))
    incidents = Incident.objects.bulk_create(
        Incident(
            service_id=services[n % len(services)],
            dedup_key=f"bench-{n}",
            title=f"Bench incident {n}",
            status="resolved",
            created_at=now - timedelta(days=DAYS) + timedelta(seconds=n * DAYS * 86400 / INCIDENTS),
        )
        for n in range(INCIDENTS)
    )
    pages = []
    for n, incident in enumerate(incidents):
        for step in range(1 + n % 2):
            person, zone = people[(n * 7 + step) % len(people)]
            for loop in range(1 + (n % 5 == 0)):
                for rule, (kind, delay) in enumerate((("sms", 0), ("voice", 180))):
                    sent = incident.created_at + timedelta(
                        seconds=10 + 300 * step + 900 * loop + delay
                    )
                    local, interruption = fatigue.interruption_at(sent, zone)
                    pages.append(
                        Page(
                            incident=incident,
                            step=step,
                            loop=loop,
                            person_id=person,
                            rule_id=rule + 1,
                            kind=kind,
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
    Page.objects.bulk_create(pages, batch_size=5_000)


def _timed(call) -> tuple[float, float, int, object]:
    """Return (median ms, p90 ms, queries, answer) of `call()`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from oncall.selectors import rotas_forget

    call()
    times = []
    for _ in range(ROUNDS):
        rotas_forget()
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    rotas_forget()
    with CaptureQueriesContext(connection) as queries:
        answer = call()
    return statistics.median(times), harness.percentile(times, 0.9), len(queries), answer


def measure(label: str) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.db import connection
    from django.test import Client

    from incidents.fatigue.selectors import people_load, team_fatigue
    from incidents.models import Page
    from oncall import clock
    from oncall.models import Membership, Team
    from oncall.tokens import api_token_create

    now = clock.now()
    team = Team.objects.get(name="Platform SRE")
    _history(now, team)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    member = Membership.objects.filter(team=team, person__user__is_superuser=False).first()
    _, secret = api_token_create(user=member.person.user, name="bench", scope="read", now=now)
    since, until = now - timedelta(days=DAYS), now
    ids = list(team.members.values_list("pk", flat=True))
    path = (
        f"/api/v1/fatigue/?team={team.slug}&since={since.date().isoformat()}"
        f"&until={until.date().isoformat()}"
    )
    client = Client()

    def api():
        answer = client.get(path, HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert answer.status_code == 200, answer.content[:500]
        return answer.json()

    figures = _timed(lambda: team_fatigue(team=team, since=since, until=until))
    loads = _timed(lambda: people_load(person_ids=ids, since=since, until=until))
    answered = _timed(api)
    rows = Page.objects.count()
    rounds = int(answered[3]["total"]["pages_total"])
    print(
        f"{label}: {len(ids)} people, {DAYS} days, {INCIDENTS} incidents, {rows} sent page rows "
        f"({rounds} notification rounds in the API's days), {ROUNDS} rounds each"
    )
    for name, (median, p90, queries, _) in (
        ("team_fatigue", figures),
        (f"people_load ({len(ids)} people)", loads),
        ("GET /api/v1/fatigue/", answered),
    ):
        print(f"  {name:24} {median:7.1f} ms median {p90:7.1f} ms p90 {queries:3} queries")
    print(
        f"  team score {answered[3]['total']['score']}, nights woken "
        f"{answered[3]['total']['nights_woken']}, on-call hours "
        f"{answered[3]['total']['on_call_hours']}",
        flush=True,
    )


# --- the driver ---------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1:  # a measuring process, started below
        measure(sys.argv[1])
        return
    print("conditions: in one process (the API through Django's test client), DEBUG off, demo")
    harness.each_database(
        __file__, root=ROOT, database_name=DATABASE, env_for=_env, prefix="plantao-bench-fatigue-"
    )


if __name__ == "__main__":
    main()
