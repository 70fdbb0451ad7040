"""`config apply` of a large file (make bench): 500 people, 50 schedules and 100 escalation
policies (10 teams, 100 services), applied into an empty database, then applied again unchanged.
Prints the wall time and SQL query count of each run, and the INSERT/UPDATE/DELETE statements
of the second, which must be none (the script exits non-zero otherwise).

Uses DATABASE_URL when set (say, PostgreSQL: migrated, then emptied with `flush`), else a fresh
SQLite file of its own under var/bench/. In this process, the way `manage.py config apply` runs
it: the file read and checked (`load`), then `config_apply` (the plan, then the writes through
the services in one transaction, each audited), with --trust-verified so that no code is sent.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEAMS, PEOPLE, SCHEDULES, POLICIES, SERVICES = 10, 500, 50, 100, 100
NOW = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)
ZONES = ("Europe/Lisbon", "America/Sao_Paulo", "Asia/Singapore", "America/New_York", "UTC")
WRITES = ("INSERT", "UPDATE", "DELETE")


def generated() -> dict:
    """Return the file's data: 10 teams of 50 people, each with 5 schedules of 3 layers (one
    with office-hours restrictions) and 2 overrides, 10 policies of 3 steps and 10 services with
    2 integrations and a maintenance window."""
    per_team = PEOPLE // TEAMS
    people = [
        {
            "email": f"person{n}@bench.example",
            "name": f"Person {n}",
            "time_zone": ZONES[n % len(ZONES)],
            "contact_methods": [
                {"kind": "sms", "address": f"+3519{n:08d}", "rules": [{"urgency": "high"}]},
                {
                    "kind": "email",
                    "address": f"person{n}@bench.example",
                    "rules": [{"urgency": "high", "after_minutes": 5}, {"urgency": "low"}],
                },
            ],
        }
        for n in range(PEOPLE)
    ]
    teams, schedules, policies, services = [], [], [], []
    for t in range(TEAMS):
        team = f"Team {t}"
        members = [people[t * per_team + i]["email"] for i in range(per_team)]
        teams.append(
            {
                "name": team,
                "manager": members[0],
                "members": [
                    {"person": email, "role": "admin" if i == 0 else "responder"}
                    for i, email in enumerate(members)
                ],
            }
        )
        names = [f"{team} rota {s}" for s in range(SCHEDULES // TEAMS)]
        for s, name in enumerate(names):
            layers = []
            for position, zone in enumerate(ZONES[:3]):
                layer = {
                    "name": f"{zone} layer",
                    "turn_unit": "days" if position else "weeks",
                    "handoff": f"2026-01-0{5 + position}T09:00:00Z",
                    "time_zone": zone,
                    "participants": members[(s * 7 + position * 3) % per_team :][:10],
                }
                if position == 1:
                    layer["restrictions"] = [
                        {"kind": "weekly", "weekday": day, "start": "09:00", "duration": "08:00"}
                        for day in ("mon", "tue", "wed", "thu", "fri")
                    ]
                layers.append(layer)
            overrides = [
                {
                    "person": members[(s + o) % per_team],
                    "start": (NOW + timedelta(days=3 + o)).isoformat(),
                    "end": (NOW + timedelta(days=3 + o, hours=8)).isoformat(),
                    "reason": "swap",
                }
                for o in range(2)
            ]
            schedules.append({"name": name, "team": team, "layers": layers, "overrides": overrides})
        for p in range(POLICIES // TEAMS):
            steps = [
                {"targets": [{"schedule": names[p % len(names)]}]},
                {"escalate_after_minutes": 10, "targets": [{"person": members[p]}]},
                {"escalate_after_minutes": 15, "targets": [{"team_all": team}]},
            ]
            policies.append({"name": f"{team} policy {p}", "team": team, "steps": steps})
        for v in range(SERVICES // TEAMS):
            window = {
                "start": (NOW + timedelta(days=7)).isoformat(),
                "end": (NOW + timedelta(days=7, hours=2)).isoformat(),
                "reason": "upgrade",
            }
            services.append(
                {
                    "name": f"team-{t}-svc-{v}",
                    "team": team,
                    "escalation_policy": f"{team} policy {v}",
                    "maintenance_windows": [window],
                    "integrations": [
                        {"kind": "alertmanager", "name": "prod"},
                        {"kind": "heartbeat", "name": "cron", "heartbeat_interval_seconds": 600},
                    ],
                }
            )
    return {
        "version": 1,
        "teams": teams,
        "people": people,
        "schedules": schedules,
        "escalation_policies": policies,
        "services": services,
    }


def main() -> None:
    sys.path.insert(0, str(ROOT))
    if "DATABASE_URL" not in os.environ:
        folder = ROOT / "var" / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config_apply.sqlite3").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'config_apply.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncall.config.settings.local")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.configuration import files, normal
    from incidents.configuration.apply import config_apply
    from oncall.models import Person, Team

    # CaptureQueriesContext reads connection.queries_log, which keeps 9,000 by default: the
    # first run makes more, and a full log would hide the second run's queries altogether.
    connection.queries_limit = 1_000_000
    connection.queries_log = deque(maxlen=connection.queries_limit)
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    assert not Team.objects.exists() and not Person.objects.exists()
    text = files.dump(normal.compact(normal.normalized(generated())))
    print(
        f"conditions: Python {platform.python_version()}, Django {django.get_version()}, "
        f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f}), {connection.vendor}; "
        f"the file: {len(text) // 1024} KiB, "
        f"{text.count(chr(10))} lines: {TEAMS} teams, {PEOPLE} people (2 contact methods each), "
        f"{SCHEDULES} schedules (3 layers, 2 overrides each), {POLICIES} policies (3 steps), "
        f"{SERVICES} services (2 integrations, 1 maintenance window)"
    )
    writes = None
    for label in ("into an empty database", "again, unchanged"):
        with CaptureQueriesContext(connection) as queries:
            began, cpu = time.perf_counter(), time.process_time()
            loaded = normal.load(text, "bench.yaml")
            read = time.perf_counter() - began
            applied = config_apply(
                loaded=loaded, prune=False, trust_verified=True, now=NOW, origin="bench.yaml"
            )
            elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
        statements = [q["sql"].lstrip().split(None, 1)[0].upper() for q in queries]
        writes = {verb: statements.count(verb) for verb in WRITES}
        kinds = {verb: statements.count(verb) for verb in ("SELECT", *WRITES)}
        kinds["other (savepoints)"] = len(statements) - sum(kinds.values())
        print(
            f"  apply {label}: {elapsed:.2f} s wall ({read:.2f} s of it reading and checking "
            f"the file; this process's CPU {cpu:.2f} s), {len(queries)} queries "
            f"({', '.join(f'{n} {v}' for v, n in kinds.items())}); {applied.plan.summary()}"
        )
    if any(writes.values()):
        sys.exit("the unchanged file wrote to the database")
    print("  the unchanged run wrote nothing: 0 INSERT, 0 UPDATE, 0 DELETE")


if __name__ == "__main__":
    main()
