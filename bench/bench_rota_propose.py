"""`rota propose` for the demo's Primary and Secondary, 12 weeks each (make bench): gathering
from the database plus the CP-SAT solver, as the command runs them (not the web). Prints the
gathering time, the solver's wall time and its own time limit, status and gap to the bound, and
the spreads (max - min across people) of on-call, night, weekend and holiday hours, proposal vs
plain round-robin of the same layers. Printed, never asserted.

The history: the demo organisation and 400 pages to its 17 people over the 90 days before
6 January 2027 (a few of them paged six times as often, at any hour), seeded. It runs twice,
each in a process of its own: on SQLite (a file in a temporary directory) and on PostgreSQL (its
own database plantao_bench_rota_propose, recreated each run, dropped at the end; skipped when
PostgreSQL is not reachable). The solver uses Rules' defaults (20 s, 2 workers, seed 0).
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as harness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "plantao_bench_rota_propose"
WEEKS, PAGES, SEED = 12, 400, 20
# A fixed day, so that runs compare: the horizon is the 12 weeks from Monday 11 January 2027
# (Carnival, Chinese New Year and Good Friday in it), the history the 90 days before.
NOW = datetime(2027, 1, 6, 12, 0, tzinfo=UTC)
CLASSES = ("hours", "night", "weekend", "holiday")
LABELS = {"hours": "on-call", "night": "night", "weekend": "weekend", "holiday": "holiday"}


def _env(kind: str, tmp: Path) -> dict:
    env = harness.production_env(database=DATABASE, redis="", tmp=tmp)
    env.update(
        DJANGO_SETTINGS_MODULE="oncall.config.settings.test",
        CELERY_BROKER_URL="filesystem://",
        PLANTAO_VAR_DIR=str(tmp),
    )
    env.pop("REDIS_URL", None)
    if kind == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    return env


def _history(now) -> None:
    from incidents.models import Incident, Page, Service
    from oncall import fatigue
    from oncall.models import Person, Team

    team = Team.objects.get(name="Platform SRE")
    people = list(
        Person.objects.filter(memberships__team=team, layer_memberships__isnull=False)
        .distinct()
        .order_by("pk")
    )
    services = list(Service.objects.filter(team=team).order_by("pk"))
    rng = random.Random(SEED)
    weights = [6 if n % 5 == 0 else 1 for n in range(len(people))]
    for n in range(PAGES):
        at = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
        person = rng.choices(people, weights)[0]
        incident = Incident.objects.create(
            service=services[n % len(services)],
            dedup_key=f"bench-{n}",
            title=f"Bench{n}",
            created_at=at,
            status="resolved",
            resolved_at=at + timedelta(minutes=20),
        )
        local, interruption = fatigue.interruption_at(at, person.time_zone)
        Page.objects.create(
            incident=incident,
            step=0,
            loop=0,
            person=person,
            rule_id=1,
            kind="sms",
            address="+12125550100",
            urgency="high",
            state="sent",
            due_at=at,
            created_at=at,
            sent_at=at,
            local_time=local.isoformat(),
            interruption=interruption,
        )


def measure(label: str) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from incidents.proposals.gathering import proposal_problem
    from incidents.proposals.options import options_parse
    from oncall.models import Schedule
    from oncall.rota import fair

    now = NOW
    _history(now)
    for name in ("Primary", "Secondary"):
        schedule = Schedule.objects.get(name=name)
        options = options_parse({"weeks": WEEKS})
        started = time.perf_counter()
        problem = proposal_problem(schedule=schedule, options=options, now=now)
        gathered = time.perf_counter() - started
        started = time.perf_counter()
        made = fair.propose(problem)
        solved = time.perf_counter() - started
        print(
            f"{label}, {name}, {WEEKS} weeks from {problem.since:%Y-%m-%d %H:%M} UTC, "
            f"{len(problem.participants)} people: gathering {gathered:.2f} s, solver "
            f"{solved:.1f} s wall (its own: {made.wall_seconds:.1f} s, time limit "
            f"{made.time_limit_seconds:g} s), status {made.status}, gap {made.gap:.3f}, "
            f"uncovered {sum((u.end - u.start for u in made.uncovered), timedelta())}",
            flush=True,
        )
        for kind in CLASSES:
            title = f"{LABELS[kind]} hours:"
            print(
                f"  spread of {title:15} proposal {getattr(made.spread, kind):6.1f}, "
                f"round-robin {getattr(made.baseline_spread, kind):6.1f}",
                flush=True,
            )


def main() -> None:
    if len(sys.argv) > 1:  # a measuring process, started below
        measure(sys.argv[1])
        return
    print(
        f"conditions: one process, the demo organisation, {os.cpu_count()} CPUs; "
        "gathering + CP-SAT (oncall.rota.fair.propose), as `manage.py rota propose` runs them",
        flush=True,
    )
    harness.each_database(
        __file__,
        root=ROOT,
        database_name=DATABASE,
        env_for=_env,
        prefix="plantao-bench-rota-propose-",
    )


if __name__ == "__main__":
    main()
