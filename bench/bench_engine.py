"""The engine's cost behind every first page, and how fast it drains a burst (make bench).

Figures, never asserts. Builds its own PostgreSQL database (plantao_bench_engine, dropped at the
end) and uses Redis db 7 as broker and cache (flushed), with the production settings and the
recording channel. The organisation: PEOPLE people, each with one verified e-mail address and a
service of their own whose one-step policy pages them, so every incident pages somebody else.
Every incident is opened through the real `alerts_ingest` service, one alert per transaction, as
the web does.

1. in-process: N incidents opened while no worker runs, then one `engine_run` (what a doorbell
   runs) fires them all and sends their first pages, in this process; printed: incidents fired
   and first pages sent per second of this process's CPU, the PostgreSQL server's CPU, SQL
   statements and transactions per incident; then again with every phase timed (CPU inclusive,
   by wrapping the engine's functions);
2. Celery: a worker (concurrency 2, prefork) and beat; N incidents opened as fast as this one
   process can, then every first page awaited: wall-clock incidents/s from the first alert to
   the last first page, alert accepted -> first page percentiles, and the cores each party used;
3. Celery, paced: PACED_RATE new incidents a second for PACED_SECONDS: accepted -> first page.

`bench_engine.py inprocess burst paced` names the parts to run (all by default); `--n N` sets
the burst. Skips (exit 0) when PostgreSQL or Redis is not reachable.
"""

from __future__ import annotations

import functools
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as harness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE = "plantao_bench_engine"
REDIS = "redis://127.0.0.1:6379/7"
N = 2000
PACED_RATE, PACED_SECONDS = 100, 10.0
PAGE_WAIT = 60.0  # seconds to wait, after the last alert, for the last first pages
PARTS = ("inprocess", "burst", "paced")


def _env(tmp: Path) -> dict:
    return harness.production_env(
        database=DATABASE,
        redis=REDIS,
        tmp=tmp,
        PLANTAO_CHANNEL="recording",
        PLANTAO_RECORDING_PATH=str(tmp / "pages.jsonl"),
    )


def _open(
    integrations, prefix: str, *, rate: float | None = None, group: int = 1
) -> dict[int, float]:
    """Open one incident per integration through alerts_ingest, `group` alerts per transaction
    (1: each its own, as one web request); return, per incident id, when its alert was accepted
    (after its commit)."""
    from django.db import transaction

    from incidents.ingest.base import AlertEvent
    from incidents.services.alerts import alerts_ingest

    accepted: dict[int, float] = {}
    started = time.time()
    for start in range(0, len(integrations), group):
        if rate is not None:
            time.sleep(max(0.0, started + start / rate - time.time()))
        numbers = []
        with transaction.atomic():
            for n, integration in enumerate(integrations[start : start + group], start):
                event = AlertEvent(
                    action="trigger",
                    dedup_key=f"{prefix}-{n}",
                    title=f"Bench {n}",
                    severity="critical",
                )
                (result,) = alerts_ingest(
                    integration=integration, events=[event], now=datetime.now(UTC)
                )
                numbers.append(result.incident_number)  # the number is the incident's id
        accepted.update(dict.fromkeys(numbers, time.time()))
    return accepted


def _quiesce() -> None:
    from incidents.models import Incident, Page

    Incident.objects.filter(status__in=Incident.OPEN).update(status="resolved", esc_due_at=None)
    Page.objects.filter(state="pending").update(state="cancelled")


def _commits() -> int:
    """Return the transactions committed in the bench database so far (PostgreSQL's count)."""
    from django.db import connection

    time.sleep(1.2)  # backends report their counts at most once a second
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [DATABASE])
        return cursor.fetchone()[0]


def _postgres_cpu() -> float:
    snapshot = harness.cpu_snapshot({}, DATABASE)
    return sum(ticks for party, ticks in snapshot["pids"].values() if party == "postgres") / (
        harness.TICKS
    )


# What the engine's CPU is spent on: (module, attribute, label, depth). Each is wrapped in every
# module that imported it, and its CPU time counted inclusively (what it calls included); a
# name the code does not have (an older or newer version of it) is left out.
PHASES = [
    ("incidents.services.engine", "escalation_fire_due", "fire: claim + fire steps (txn)", 0),
    ("incidents.services.engine", "_fire_many", "fire steps", 1),
    ("incidents.services.engine", "maintenance_ends", "maintenance check", 2),
    ("incidents.services.engine", "_policy", "policy snapshot", 2),
    ("incidents.services.targets", "targets_resolve", "targets", 2),
    ("incidents.services.pages", "pages_create_many", "create pages", 2),
    ("incidents.services.slack_channel", "slack_incidents_announce", "Slack announce", 2),
    ("incidents.services.pages", "pages_send_created", "deliver first pages", 0),
    ("incidents.services.pages", "_claim", "claim (UPDATE)", 1),
    ("incidents.services.pages", "_claim_many", "claim them all (UPDATE)", 1),
    ("incidents.services.email_links", "action_urls_many", "e-mail links, all", 1),
    ("incidents.services.noise", "turn_take", "turn (noise)", 1),
    ("incidents.services.pages", "_channel", "channel lookup", 1),
    ("incidents.services.pages", "_message", "message (links, render)", 1),
    ("incidents.services.email_links", "action_urls", "e-mail links", 2),
    ("oncall.channels.recording", "RecordingChannel.send", "channel send", 1),
    ("incidents.services.pages", "page_sent", "record sent", 1),
    ("incidents.services.pages", "pages_sent", "record sent, all", 1),
    ("incidents.tallies", "first_page_record", "first page tally", 2),
    ("incidents.tallies", "first_pages_record", "first page tallies", 2),
    ("incidents.services.timeline", "timeline_add", "timeline entry", 2),
]


class Phases:
    """Time the PHASES by wrapping them; `undo` puts the originals back."""

    def __init__(self):
        self.spent = {label: 0.0 for _, _, label, _ in PHASES}
        self.calls = {label: 0 for _, _, label, _ in PHASES}
        self.undo_list = []
        for module_name, attribute, label, _ in PHASES:
            self._wrap(module_name, attribute, label)

    def _wrap(self, module_name: str, attribute: str, label: str) -> None:
        import importlib

        module = importlib.import_module(module_name)
        owner, name = module, attribute
        if "." in attribute:
            cls, name = attribute.split(".")
            owner = getattr(module, cls)
        original = getattr(owner, name, None)
        if original is None:
            return

        @functools.wraps(original)
        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[label] += time.process_time() - started
                self.calls[label] += 1

        holders = [owner] if owner is not module else []
        if owner is module:
            holders = [
                m
                for m in list(sys.modules.values())
                if m is not None and getattr(m, name, None) is original
            ]
        for holder in holders:
            setattr(holder, name, timed)
            self.undo_list.append((holder, name, original))

    def undo(self) -> None:
        for holder, name, original in reversed(self.undo_list):
            setattr(holder, name, original)


def _engine_once(clock) -> tuple[int, float, float, int]:
    """Run engine_run until nothing is due; return fired, CPU s, wall s, SQL statements."""
    from django.db import connection

    from incidents.services import engine

    statements = [0]

    def count(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    fired = 0
    cpu, wall = time.process_time(), time.perf_counter()
    with connection.execute_wrapper(count):
        while True:
            done = engine.engine_run(clock=clock, budget=3600)
            fired += done
            if not done:
                break
    return fired, time.process_time() - cpu, time.perf_counter() - wall, statements[0]


def _sent(path: Path) -> int:
    return len(path.read_bytes().split(b"\n")) - 1 if path.exists() else 0


def in_process(integrations, n: int, path: Path) -> None:
    from oncall import clock

    _open(integrations[:n], f"warm{time.time():.0f}")  # compiles, caches: not measured
    _engine_once(clock.now)
    _quiesce()
    _open(integrations[:n], f"i{time.time():.0f}")
    sent_before, commits, pg = _sent(path), _commits(), _postgres_cpu()
    fired, cpu, wall, statements = _engine_once(clock.now)
    pg, commits = _postgres_cpu() - pg, _commits() - commits - 1  # less _commits' own
    sent = _sent(path) - sent_before
    print(
        f"1. in-process engine_run over {n} new incidents, each paging its own person by e-mail "
        "(no worker running; one process; the first pages sent at once):"
    )
    print(
        f"     {fired} fired, {sent} first pages sent in {wall:.2f} s wall: "
        f"{fired / cpu:,.0f} incidents/s per core of engine CPU ({cpu / fired * 1000:.2f} ms "
        f"CPU each), PostgreSQL {pg / fired * 1000:.2f} ms CPU each; "
        f"{statements / fired:.1f} SQL statements and {commits / fired:.2f} transactions per "
        "incident"
    )
    _quiesce()
    _open(integrations[:n], f"j{time.time():.0f}")
    phases = Phases()
    try:
        fired, cpu, _, _ = _engine_once(clock.now)
    finally:
        phases.undo()
    print(
        f"     where the CPU goes (the same, every phase timed: {cpu / fired * 1000:.2f} ms each; "
        "inclusive, indented lines are inside the one above):"
    )
    for _, _, label, depth in PHASES:
        if phases.calls[label]:
            print(
                f"       {'  ' * depth}{label:<{36 - 2 * depth}} "
                f"{phases.spent[label] / fired * 1000:6.3f} ms  {phases.spent[label] / cpu:5.1%}"
                f"  ({phases.calls[label] / fired:.2f} calls)"
            )
    _quiesce()


def _await(path: Path, accepted: dict[int, float]) -> dict[int, float]:
    deadline = time.monotonic() + PAGE_WAIT
    first: dict[int, float] = {}
    while time.monotonic() < deadline:
        first = harness.first_pages(path, set(accepted))
        if len(first) >= len(accepted):
            break
        time.sleep(0.25)
    return first


def _latencies(accepted: dict[int, float], first: dict[int, float]) -> str:
    delays = [first[pk] - accepted[pk] for pk in first]
    missing = len(accepted) - len(first)
    everything = delays + [float("inf")] * missing
    parts = [
        f"{name} {value * 1000:.0f} ms" if value != float("inf") else f"{name} > {PAGE_WAIT:.0f} s"
        for name, value in (
            ("p50", harness.percentile(everything, 0.5)),
            ("p99", harness.percentile(everything, 0.99)),
            ("max", max(everything, default=float("nan"))),
        )
    ]
    return ", ".join(parts) + (f"; {missing} not paged within {PAGE_WAIT:.0f} s" if missing else "")


def _workers(env: dict, tmp: Path) -> list[harness.Proc]:
    celery = [sys.executable, "-m", "celery", "--app", "oncall.config"]
    worker = harness.Proc(
        "worker",
        [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"],
        env=env,
        cwd=ROOT,
        log=tmp / "worker.log",
    )
    beat = harness.Proc(
        "beat", [*celery, "beat", "--loglevel", "WARNING"], env=env, cwd=ROOT, log=tmp / "beat.log"
    )
    if not worker.wait_for_log(" ready.", 60):
        beat.stop()
        worker.stop()
        raise RuntimeError(f"the Celery worker did not start:\n{worker.log.read_text()[-2000:]}")
    return [beat, worker]


TASK_DONE = re.compile(r"Task (\S+)\[[^]]+\] succeeded in ([0-9.e-]+)s")


def _tasks(worker: harness.Proc, offset: int) -> str:
    """Summarise the tasks the worker logged past `offset`: how many of each, their time."""
    text = worker.log.read_bytes()[offset:].decode(errors="replace")
    runs: dict[str, list[float]] = {}
    for name, seconds in TASK_DONE.findall(text):
        runs.setdefault(name.rsplit(".", 1)[-1], []).append(float(seconds))
    return "; ".join(
        f"{name} x{len(times)} (median {harness.percentile(times, 0.5) * 1000:.1f} ms, "
        f"{sum(times):.2f} s in all)"
        for name, times in sorted(runs.items())
    )


def burst(integrations, n: int, path: Path, procs: list[harness.Proc], *, group: int) -> None:
    groups = {proc.name: proc.pid for proc in procs}
    offset = procs[-1].log.stat().st_size
    before, began = harness.cpu_snapshot(groups, DATABASE), time.monotonic()
    cpu = time.process_time()
    accepted = _open(integrations[:n], f"b{group}-{time.time():.0f}", group=group)
    ingest_cpu = time.process_time() - cpu
    opened = time.monotonic() - began
    first = _await(path, accepted)
    elapsed = time.monotonic() - began
    line = harness.cpu_delta(
        before,
        harness.cpu_snapshot(groups, DATABASE),
        elapsed,
        {"ingest (this process)": ingest_cpu},
    )
    span = max(first.values(), default=0) - min(accepted.values())
    how = (
        "one alerts_ingest transaction each, as one web request"
        if group == 1
        else "all committed in one transaction: what the engine alone can do"
        if group >= n
        else f"{group} per transaction"
    )
    print(
        f"2. burst: {n} new incidents opened by this process in {opened:.1f} s "
        f"({n / opened:,.0f}/s; {how}), each paging its own person by e-mail [Celery worker "
        "concurrency 2 (prefork) + beat; recording channel]:"
    )
    print(
        f"     {len(first)} first pages; first alert accepted -> last first page {span:.1f} s: "
        f"{len(first) / span if span else float('nan'):,.0f} incidents paged/s"
    )
    print(f"     accepted -> first page: {_latencies(accepted, first)}")
    print(f"     {line}")
    print(f"     worker tasks: {_tasks(procs[-1], offset)}")
    _quiesce()


def paced(integrations, path: Path, procs: list[harness.Proc]) -> None:
    groups = {proc.name: proc.pid for proc in procs}
    offset = procs[-1].log.stat().st_size
    count = int(PACED_RATE * PACED_SECONDS)
    before, began = harness.cpu_snapshot(groups, DATABASE), time.monotonic()
    cpu = time.process_time()
    accepted = _open(integrations[:count], f"c{time.time():.0f}", rate=PACED_RATE)
    ingest_cpu = time.process_time() - cpu
    first = _await(path, accepted)
    elapsed = time.monotonic() - began
    line = harness.cpu_delta(
        before,
        harness.cpu_snapshot(groups, DATABASE),
        elapsed,
        {"ingest (this process)": ingest_cpu},
    )
    print(
        f"3. paced: {PACED_RATE} new incidents/s for {PACED_SECONDS:.0f} s, each to another "
        "person by e-mail [Celery worker concurrency 2 + beat; recording channel]: accepted -> "
        f"first page {_latencies(accepted, first)} (goal p50 < 100 ms, p99 < 300 ms)"
    )
    print(f"     {line}")
    print(f"     worker tasks: {_tasks(procs[-1], offset)}")
    _quiesce()


def main() -> None:
    if harness.services_missing("bench_engine"):
        return
    args = sys.argv[1:]
    n = N
    if "--n" in args:
        n = int(args[args.index("--n") + 1])
        del args[args.index("--n") : args.index("--n") + 2]
    parts = set(args) or set(PARTS)
    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="plantao-bench-engine-"))
    env = _env(tmp)
    os.environ.update(env)
    import django
    import redis as redis_client

    redis = redis_client.Redis.from_url(REDIS)
    redis.flushdb()
    harness.database(DATABASE, create=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    django.setup()
    people = max(n, int(PACED_RATE * PACED_SECONDS))
    print(
        f"conditions: Python {platform.python_version()}, {os.cpu_count()} CPUs (shared: see "
        f"'other processes'); PostgreSQL {DATABASE} (fresh), Redis db 7 as broker and cache; "
        f"production settings; recording channel; {people} people, each the one target of a "
        "service of their own, one verified e-mail address each, in a zone where it is about "
        "noon"
    )
    integrations = [i for i, _ in harness.paging_organisation(people)]
    path = Path(env["PLANTAO_RECORDING_PATH"])
    procs: list[harness.Proc] = []
    try:
        if "inprocess" in parts:
            in_process(integrations, n, path)
            redis.flushdb()  # the doorbells rung meanwhile: no worker will run them
        if parts & {"burst", "paced"}:
            procs = _workers(env, tmp)
            if "burst" in parts:
                burst(integrations, n, path, procs, group=1)
                time.sleep(2)
                burst(integrations, n, path, procs, group=n)
            if "paced" in parts:
                time.sleep(2)
                paced(integrations, path, procs)
    finally:
        for proc in procs:
            proc.stop()
        harness.bench_end(web=None, redis=redis, database_name=DATABASE, tmp=tmp)
    print(f"(bench_engine took {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
