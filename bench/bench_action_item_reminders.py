"""The action item reminder sweep (make bench): 1,000 overdue action items among the demo's 17
people, swept once when they are due a reminder, then again at once and a quarter of an hour
later when nothing is due; the time and SQL queries of each sweep, printed, never asserted.

The sweep runs at Wednesday 12:30 UTC: 09:30 in São Paulo and 12:30 in Lisbon (at work, told),
20:30 in Singapore (after hours, not told). Texts go to the recording channel (a file), so the
figures are Plantão's own work, not a provider's; with Twilio, each text also waits its turn at
the sending number (one a second from a long code).

It runs twice, each in a process of its own: on SQLite (a file in a temporary directory) and on
PostgreSQL (its own database plantao_bench_reminders, recreated each run, dropped at the end;
skipped when PostgreSQL is not reachable).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as harness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "plantao_bench_reminders"
ITEMS = 1_000
NOW = datetime(2027, 1, 13, 12, 30, tzinfo=UTC)  # a Wednesday


def _env(kind: str, tmp: Path) -> dict:
    env = harness.production_env(database=DATABASE, redis="", tmp=tmp)
    env.update(
        DJANGO_SETTINGS_MODULE="oncall.config.settings.test",
        ALLOWED_HOSTS="testserver",
        CELERY_BROKER_URL="filesystem://",
        PLANTAO_VAR_DIR=str(tmp),
        PLANTAO_CHANNEL="recording",
        PLANTAO_RECORDING_PATH=str(tmp / "sent.jsonl"),
    )
    env.pop("REDIS_URL", None)
    if kind == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    return env


# --- in the measuring process -------------------------------------------------------------------


def _items() -> None:
    """Make ITEMS overdue action items on ten postmortems, owned in turn by the team's people."""
    from incidents.models import ActionItem, Postmortem
    from oncall.models import Person, Team

    team = Team.objects.get(name="Platform SRE")
    people = list(Person.objects.filter(memberships__team=team).order_by("pk"))
    began = NOW - timedelta(days=30)
    postmortems = [
        Postmortem.objects.create(
            team=team, title=f"Outage {n}", began_at=began, created_at=began, updated_at=began
        )
        for n in range(10)
    ]
    ActionItem.objects.bulk_create(
        ActionItem(
            postmortem=postmortems[n % len(postmortems)],
            title=f"Action item {n}",
            owner=people[n % len(people)],
            due_on=date(2027, 1, 4) + timedelta(days=n % 7),
            created_at=began,
            updated_at=began,
        )
        for n in range(ITEMS)
    )


def _sweep(now) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.postmortem_reminders import action_item_reminders_send

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        told = action_item_reminders_send(now=now)
        took = (time.perf_counter() - start) * 1000
    return took, len(queries), told


def measure(label: str) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from incidents.models import ActionItem

    _items()
    print(f"{label}: {ITEMS} overdue action items, 17 owners in 3 time zones", flush=True)
    took, queries, told = _sweep(NOW)
    claimed = ActionItem.objects.filter(reminded_at=NOW).count()
    print(
        f"  sweep, reminders due            {took:8.1f} ms {queries:5} queries "
        f"({told} owners told, {claimed} items in their texts)",
        flush=True,
    )
    for what, at in (("again at once", NOW), ("15 min later", NOW + timedelta(minutes=15))):
        took, queries, told = _sweep(at)
        print(
            f"  sweep, nothing due ({what:13}) {took:8.1f} ms {queries:5} queries ({told} told)",
            flush=True,
        )


# --- the driver ---------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1:  # a measuring process, started below
        measure(sys.argv[1])
        return
    print("conditions: one process, DEBUG off, the demo organisation, the recording channel")
    harness.each_database(
        __file__, root=ROOT, database_name=DATABASE, env_for=_env, prefix="plantao-bench-rem-"
    )


if __name__ == "__main__":
    main()
