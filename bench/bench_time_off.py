"""Entering time off on the demo organisation (make bench): how long time_off_create takes, with
the SQL queries and cover requests it makes, for a week, a quarter and the longest allowed (366
days) of one person's time off; then saving it again unchanged (nothing asked twice) and deleting
it (its open requests withdrawn). Printed, never asserted.

Uses DATABASE_URL when set (say, PostgreSQL), else a SQLite file of its own under var/bench/.
Loads the demo first. Each measurement runs in a transaction rolled back at its end, so nothing
is kept and no notice is queued (the on-commit send to the team is not measured).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 5
LENGTHS = {"a week": 7, "a quarter": 91, "366 days": 366}


class _Rollback(Exception):
    pass


def main() -> None:
    sys.path.insert(0, str(ROOT))
    if "DATABASE_URL" not in os.environ:
        (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'time_off.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncall.config.settings.local")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from oncall import clock, demo, selectors, services
    from oncall.models import Person, Schedule

    call_command("migrate", verbosity=0)
    demo.demo_load()
    now = clock.now()
    primary = Schedule.objects.get(name="Primary")
    shifts = selectors.shifts_between(schedule=primary, since=now, until=now + timedelta(days=7))
    person = next(s.person for s in shifts if s.person is not None)
    person = Person.objects.get(pk=person.pk)
    engine = connection.vendor
    print(f"Time off of {person} (demo, {engine}), from tomorrow; median of {ROUNDS} rounds")
    start = now + timedelta(days=1)
    for label, days in LENGTHS.items():
        end = start + timedelta(days=days)
        figures = {"create": [], "save again": [], "delete": []}
        counts = {}
        for _ in range(ROUNDS):
            connection.queries_log.clear()
            try:
                with transaction.atomic():
                    with CaptureQueriesContext(connection) as queries:
                        began = time.perf_counter()
                        made = services.time_off_create(person=person, start=start, end=end)
                        figures["create"].append(time.perf_counter() - began)
                    counts["create"] = len(queries)
                    counts["requests"] = made.cover_requests.count()
                    with CaptureQueriesContext(connection) as queries:
                        began = time.perf_counter()
                        services.time_off_update(time_off=made, reason="again")
                        figures["save again"].append(time.perf_counter() - began)
                    counts["save again"] = len(queries)
                    with CaptureQueriesContext(connection) as queries:
                        began = time.perf_counter()
                        services.time_off_delete(time_off=made)
                        figures["delete"].append(time.perf_counter() - began)
                    counts["delete"] = len(queries)
                    raise _Rollback
            except _Rollback:
                pass
        shown = ", ".join(
            f"{what} {statistics.median(times) * 1000:.0f} ms ({counts[what]} queries)"
            for what, times in figures.items()
        )
        print(f"  {label}: {counts['requests']} cover requests; {shown}")


if __name__ == "__main__":
    main()
