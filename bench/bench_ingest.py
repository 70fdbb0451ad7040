"""Alert ingestion and paging latency on the production stack (make bench): figures, never asserts.

Builds its own PostgreSQL database (plantao_bench, recreated each run) and uses Redis db 7 as the
Celery broker and the cache (flushed first). Starts the web tier (uvicorn, as the Procfile does,
2 workers) with the production settings, a Celery worker (concurrency 2) and beat, drives them
with bench/_harness.py's load generator, and prints, each with its conditions:

0. calibration: a bare Django view doing one INSERT, before and after the web-alone runs;
1. single-alert generic webhooks with distinct keys, the web alone: alerts/s, HTTP p50/p99;
2. a storm where 95% of the alerts share one dedup key: alerts/s;
3. Alertmanager batches of 100 alerts: alerts/s;
1 again, with the engine paging every incident on the same two cores;
4. alert accepted (202) -> first page handed to the (recording) channel, at 100 new incidents/s
   to 100 different people (each with a service of its own whose policy pages them by e-mail);

each twice, "before" (PLANTAO_INGEST_LANE=off: Django's handler and middleware, a transaction
per request) and "after" (the ingest lane with group commit, the default), and then a table of
every scenario before and after as a share of the bare view: absolute rates depend on the
machine and its noise, shares within one run much less;
5. lateness of escalation steps falling due over ~20 s, fired by the sweep and the workers;

then, with every process stopped and in this process on the same database: a probe of the locks
escalation_fire takes, the SQL statements and time of the engine's tasks and of each kind of
request, and where that time goes (cProfile). Every load is bounded in count and time, and every
process started is stopped. Skips (exit 0) when PostgreSQL or Redis is not reachable.
"""

from __future__ import annotations

import cProfile
import json
import os
import platform
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as harness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PG_HOST, PG_PORT, DATABASE = "127.0.0.1", 5432, "plantao_bench"
REDIS = "redis://127.0.0.1:6379/7"
RATE_LIMIT = 1_000_000  # far above any rate reached here: never a 429
WINDOW = 10.0  # seconds of load per throughput measurement
CALIBRATION = 6.0  # seconds for the control and calibration runs
CONNECTIONS = 8
BATCH = 100
PACED_RATE, PACED_SECONDS = 100, 10.0
PACED_PEOPLE = 100  # the issue: 100 new incidents a second to 100 different people
PACED_CONNECTIONS = 128  # enough that a slow answer does not hold the next alert back
PAGE_WAIT = 15.0  # seconds to wait, after the paced load, for the last first pages
DUE_COUNT, DUE_SPREAD, DUE_LEAD = 300, 20.0, 4.0
WORKERS = 2  # uvicorn worker processes, as the Procfile starts them (WEB_CONCURRENCY's default)
# Before: the ingest URLs through Django's handler and middleware, a transaction per request.
# After: the ingest lane in front of Django, with group commit (the default).
MODES = {
    "before": (False, "PLANTAO_INGEST_LANE=off: Django's handler, a transaction a request"),
    "after": (True, "the ingest lane, group commit (the default)"),
}
GRAFANA = {"accepted": (290, 465), "processed": (9, 17), "p50": 1.4, "p99": 8.6, "bare": 1770}


def _env(tmp: Path) -> dict:
    return harness.production_env(
        database=DATABASE,
        redis=REDIS,
        tmp=tmp,
        PLANTAO_CHANNEL="recording",
        PLANTAO_RECORDING_PATH=str(tmp / "pages.jsonl"),
    )


def _dsn(dbname: str = DATABASE) -> dict:
    return {"host": PG_HOST, "port": PG_PORT, "user": "postgres", "dbname": dbname}


class Stack:
    """The processes of one benchmark run; `stop` ends every one of them."""

    def __init__(self, env: dict, tmp: Path):
        self.env, self.tmp, self.procs = env, tmp, {}
        self.port = harness.free_port()
        self.paths: dict = {}  # integration URL paths (a list of them for "paced"), by use

    def start(self, name: str, argv: list[str]) -> harness.Proc:
        proc = harness.Proc(name, argv, env=self.env, cwd=ROOT, log=self.tmp / f"{name}.log")
        self.procs[name] = proc
        return proc

    def engine_start(self) -> None:
        celery = [sys.executable, "-m", "celery", "--app", "oncall.config"]
        worker = self.start(
            "celery",
            [
                *celery,
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
            ],
        )
        self.start("beat", [*celery, "beat", "--loglevel", "INFO"])
        if not worker.wait_for_log(" ready.", 60):
            raise RuntimeError(
                f"the Celery worker did not start:\n{worker.log.read_text()[-2000:]}"
            )

    def web_start(self, workers: int, app: str | None = None, lane: bool = True) -> None:
        env = {**self.env, "PLANTAO_INGEST_LANE": "on" if lane else "off"}
        self.procs["web"] = harness.web_start(
            self.port, env=env, cwd=ROOT, log=self.tmp / "web.log", workers=workers, app=app
        )

    def web_stop(self) -> None:
        self.procs.pop("web").stop()

    def engine_stop(self) -> None:
        for name in ("beat", "celery"):
            self.procs.pop(name).stop()

    def cpu(self) -> dict:
        groups = {name: proc.pid for name, proc in self.procs.items()}
        return harness.cpu_snapshot(groups, DATABASE)

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop()


# --- the measurements ---------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    if seconds == float("inf"):
        return "not yet"
    return f"{seconds * 1000:.1f} ms"


def _censored(values: list[float], missing: int, bound: float) -> str:
    """Format p50/p99/max counting each of `missing` as later than `bound` seconds."""
    everything = values + [float("inf")] * missing
    return ", ".join(
        f"{name} {_ms(value) if value != float('inf') else f'> {bound:.0f} s'}"
        for name, value in (
            ("p50", harness.percentile(everything, 0.5)),
            ("p99", harness.percentile(everything, 0.99)),
            ("max", max(everything, default=float("nan"))),
        )
    )


def _throughput(stack: Stack, spec: dict) -> tuple[dict, float]:
    """Run one load; return the result and the 2xx answers a second within the load window."""
    before, started = stack.cpu(), time.monotonic()
    result = harness.load({"host": "127.0.0.1", "port": stack.port, **spec}, stack.tmp)
    elapsed = time.monotonic() - started
    result["cpu_line"] = harness.cpu_delta(before, stack.cpu(), elapsed, {"loadgen": result["cpu"]})
    result["ok"] = sum(n for status, n in result["statuses"].items() if status.startswith("2"))
    within = sum(1 for done in result["completed"] if done <= spec["duration"])
    return result, within / spec["duration"]


def _load_line(result: dict) -> str:
    refused = {s: n for s, n in result["statuses"].items() if not s.startswith("2")}
    parts = [f"{result['ok']} accepted"]
    if refused:
        parts.append(f"refused {refused}")
    if result["errors"]["count"]:
        parts.append(
            f"{result['errors']['count']} connection errors (first: {result['errors']['first']})"
        )
    if result["unfinished"]:
        parts.append(f"{result['unfinished']} requests unanswered after a 10 s grace")
    latencies = result["latencies"]
    parts.append(
        f"HTTP p50 {_ms(harness.percentile(latencies, 0.5))}, "
        f"p99 {_ms(harness.percentile(latencies, 0.99))}, "
        f"max {_ms(max(latencies, default=float('nan')))}"
    )
    parts.append(f"load generator {result['cpu']:.1f} CPU s in {result['elapsed']:.1f} s")
    return "; ".join(parts)


def _engine_progress(since: datetime, until: datetime) -> tuple[int, int]:
    from incidents.models import Page, TimelineEntry

    fired = TimelineEntry.objects.filter(
        kind=TimelineEntry.Kind.ESCALATED, at__gte=since, at__lt=until
    ).count()
    sent = Page.objects.filter(sent_at__gte=since, sent_at__lt=until).count()
    return fired, sent


def _quiesce(redis) -> str:
    """Resolve every open incident and drop the queued doorbells, so one run does not load the next.

    Return what was left over, which says how far the workers were behind.
    """
    from django.db import connection

    from incidents.models import Incident, Page

    now = datetime.now(UTC)
    opened = Incident.objects.filter(status__in=Incident.OPEN).update(
        status=Incident.Status.RESOLVED,
        resolved_at=now,
        esc_due_at=None,
        ack_timeout_at=None,
        auto_resolve_at=None,
    )
    pending = Page.objects.filter(state=Page.State.PENDING).update(state=Page.State.CANCELLED)
    queued = redis.llen("celery")
    redis.delete("celery")
    time.sleep(1)  # let the worker finish what it holds (now no-ops)
    # The run's rows, and the ones just resolved, leave dead index entries behind; without
    # this, the next run (always the same one) pays for this one's clean-up by autovacuum.
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM (ANALYZE) incidents_incident, incidents_alert, incidents_timelineentry, "
            "incidents_page"
        )
    return (
        f"left when the load stopped: {queued} doorbells queued, {opened} incidents open, "
        f"{pending} pages pending (all resolved/dropped before the next run)"
    )


def single_alerts(stack: Stack, label: str, redis, window: float = WINDOW) -> dict:
    since = datetime.now(UTC)
    result, rate = _throughput(
        stack,
        {
            "path": stack.paths["single"],
            "kind": "webhook",
            "prefix": f"s{int(time.time() * 1000)}",
            "connections": CONNECTIONS,
            "duration": window,
            "max_requests": 40_000,
        },
    )
    until = datetime.now(UTC)
    fired, sent = _engine_progress(since, until)
    elapsed = (until - since).total_seconds()
    print(
        f"1. single-alert webhooks, distinct keys [uvicorn {label}; {CONNECTIONS} connections, "
        f"{window:.0f} s]: {rate:,.0f} alerts/s (target: 80 % of the bare view, p99 < 50 ms)"
    )
    print(f"     {_load_line(result)}")
    print(f"     {result['cpu_line']}")
    if "celery" in stack.procs:
        print(
            f"     engine meanwhile: {fired / elapsed:.0f} escalations/s fired, "
            f"{sent / elapsed:.0f} pages/s sent"
        )
    print(f"     {_quiesce(redis)}")
    return {"rate": rate, "p99": harness.percentile(result["latencies"], 0.99)}


def bare_view(stack: Stack, label: str) -> float:
    result, rate = _throughput(
        stack,
        {
            "path": harness.BARE_PATH,
            "kind": "webhook",
            "prefix": f"b{int(time.time() * 1000)}",
            "connections": CONNECTIONS,
            "duration": CALIBRATION,
            "max_requests": 40_000,
        },
    )
    print(
        f"0. calibration: a bare Django view doing one ORM INSERT of the same body (bench-only "
        f"route, same settings and middleware) [uvicorn {label}; {CONNECTIONS} connections, "
        f"{CALIBRATION:.0f} s]: {rate:,.0f} requests/s (the issue: ~{GRAFANA['bare']:,}/s)"
    )
    print(f"     {_load_line(result)}")
    print(f"     {result['cpu_line']}")
    return rate


def storm(stack: Stack, label: str, redis) -> float:
    result, rate = _throughput(
        stack,
        {
            "path": stack.paths["storm"],
            "kind": "storm",
            "prefix": f"t{int(time.time() * 1000)}",
            "connections": CONNECTIONS,
            "duration": WINDOW,
            "max_requests": 60_000,
        },
    )
    print(
        f"2. storm, 95% one dedup key [uvicorn {label}; {CONNECTIONS} connections, "
        f"{WINDOW:.0f} s]: {rate:,.0f} alerts/s (target: at least the bare view)"
    )
    print(f"     {_load_line(result)}")
    print(f"     {result['cpu_line']}")
    print(f"     {_quiesce(redis)}")
    return {"rate": rate, "p99": harness.percentile(result["latencies"], 0.99)}


def batches(stack: Stack, label: str, redis) -> float:
    connections = 4
    result, rate = _throughput(
        stack,
        {
            "path": stack.paths["alertmanager"],
            "kind": "alertmanager",
            "batch": BATCH,
            "prefix": f"a{int(time.time()) % 100000}",
            "connections": connections,
            "duration": WINDOW,
            "max_requests": 2_000,
        },
    )
    print(
        f"3. Alertmanager batches of {BATCH} distinct fingerprints [uvicorn {label}; "
        f"{connections} connections, {WINDOW:.0f} s]: {rate * BATCH:,.0f} alerts/s "
        f"({rate:.1f} requests/s; target 8,000 alerts/s)"
    )
    print(f"     {_load_line(result)}")
    print(f"     {result['cpu_line']}")
    print(f"     {_quiesce(redis)}")
    return {
        "rate": rate,
        "alerts": rate * BATCH,
        "p99": harness.percentile(result["latencies"], 0.99),
    }


def _paced_warm(stack: Stack, redis) -> None:
    """One alert to each paced service first, its page awaited: the workers have then read each
    policy and rota once, as a worker that has served for an hour has."""
    pages = Path(stack.env["PLANTAO_RECORDING_PATH"])
    harness.load(
        {
            "host": "127.0.0.1",
            "port": stack.port,
            "paths": stack.paths["paced"],
            "kind": "webhook",
            "prefix": f"w{int(time.time() * 1000)}",
            "connections": 8,
            "duration": 5.0,
            "max_requests": PACED_PEOPLE,
        },
        stack.tmp,
    )
    deadline = time.monotonic() + PAGE_WAIT
    while time.monotonic() < deadline and (
        not pages.exists() or pages.read_bytes().count(b"\n") < PACED_PEOPLE
    ):
        time.sleep(0.2)
    _quiesce(redis)


def alert_to_page(stack: Stack, label: str, redis) -> dict:
    pages = Path(stack.env["PLANTAO_RECORDING_PATH"])
    pages.unlink(missing_ok=True)
    _paced_warm(stack, redis)
    pages.unlink(missing_ok=True)
    result, rate = _throughput(
        stack,
        {
            "paths": stack.paths["paced"],
            "kind": "webhook",
            "prefix": f"p{int(time.time() * 1000)}",
            "connections": PACED_CONNECTIONS,
            "duration": PACED_SECONDS,
            "rate": PACED_RATE,
            "max_requests": int(PACED_RATE * PACED_SECONDS),
            "want_body": True,
        },
    )
    accepted = {}
    for _, status, done, body in result["records"]:
        if status == 202:
            accepted[json.loads(body)["alerts"][0]["incident"]] = done
    deadline = time.monotonic() + PAGE_WAIT
    first = {}
    while time.monotonic() < deadline:
        first = harness.first_pages(pages, set(accepted))
        if len(first) >= len(accepted):
            break
        time.sleep(0.5)
    delays = [first[n] - accepted[n] for n in first]
    unpaged = len(accepted) - len(first)
    print(
        f"4. alert accepted (202) -> first page at the channel [uvicorn {label}; paced "
        f"{PACED_RATE}/s for {PACED_SECONDS:.0f} s to {PACED_PEOPLE} people in turn, by e-mail, "
        f"each paged once before; {PACED_CONNECTIONS} connections; Celery "
        f"worker concurrency 2; recording channel]: {_censored(delays, unpaged, PAGE_WAIT)} "
        "(target p50 < 100 ms, p99 < 300 ms)"
    )
    print(
        f"     {len(accepted)} incidents opened ({rate:.0f}/s achieved), {len(first)} paged; "
        f"{unpaged} not paged {PAGE_WAIT:.0f} s after the load ended (counted as later than "
        f"that); HTTP p50 "
        f"{_ms(harness.percentile(result['latencies'], 0.5))}, "
        f"p99 {_ms(harness.percentile(result['latencies'], 0.99))}"
    )
    print(f"     {result['cpu_line']}")
    print(f"     {_quiesce(redis)}")
    everything = delays + [float("inf")] * unpaged
    return {
        "p50": harness.percentile(everything, 0.5),
        "p99": harness.percentile(everything, 0.99),
    }


def escalation_lateness(sweep_seconds: float) -> None:
    from incidents.models import Incident, Service, TimelineEntry
    from incidents.services.policies import policy_snapshot

    service = Service.objects.select_related("escalation_policy").get(name="cdn")
    snapshot = policy_snapshot(service.escalation_policy)
    now = datetime.now(UTC)
    due = [now + timedelta(seconds=DUE_LEAD + DUE_SPREAD * n / DUE_COUNT) for n in range(DUE_COUNT)]
    made = Incident.objects.bulk_create(
        Incident(
            service=service,
            dedup_key=f"due-{now.timestamp():.0f}-{n}",
            title=f"Escalation due {n}",
            severity="critical",
            urgency="high",
            created_at=now,
            policy_snapshot=snapshot,
            esc_due_at=at,
            esc_rung_for=None,
        )
        for n, at in enumerate(due)
    )
    due_by_id = {incident.pk: at for incident, at in zip(made, due, strict=True)}
    deadline = time.monotonic() + DUE_LEAD + DUE_SPREAD + 6
    fired = {}
    while time.monotonic() < deadline:
        time.sleep(1)
        fired = dict(
            TimelineEntry.objects.filter(
                incident_id__in=list(due_by_id), kind=TimelineEntry.Kind.ESCALATED
            )
            .order_by("-at")  # the first entry of each incident wins
            .values_list("incident_id", "at")
        )
        if len(fired) >= len(due_by_id):
            break
    late = [(fired[pk] - due_by_id[pk]).total_seconds() for pk in fired]
    print(
        f"5. escalation lateness, {DUE_COUNT} steps due over {DUE_SPREAD:.0f} s (esc_due_at set "
        f"directly, not yet rung) [beat sweep every {sweep_seconds:g} s (PLANTAO_SWEEP_SECONDS "
        "unset: the production default), lookahead 10 s, Celery worker concurrency 2, web "
        f"stopped]: {_censored(late, DUE_COUNT - len(fired), 6)} (target p99 < 1 s)"
    )
    print(
        f"     {len(fired)} of {DUE_COUNT} fired by 6 s after the last was due (the rest are "
        "counted as later than 6 s)"
    )
    Incident.objects.filter(pk__in=list(due_by_id)).update(
        status=Incident.Status.RESOLVED, esc_due_at=None
    )


def lock_probe() -> None:
    """Hold the locks escalation_fire takes for one incident, then see what else they stop."""
    import threading

    import psycopg
    from django.db import transaction

    from incidents.ingest.base import AlertEvent
    from incidents.models import Incident, Integration, Service
    from incidents.services import engine
    from incidents.services.alerts import alerts_ingest

    service = Service.objects.select_related("escalation_policy").get(name="processing")
    integration = (
        Integration.objects.select_related("service").filter(name="bench-probe").latest("pk")
    )
    now = datetime.now(UTC)
    first, second = Incident.objects.bulk_create(
        Incident(
            service=service,
            dedup_key=f"probe-{now.timestamp()}-{n}",
            title="Lock probe",
            created_at=now,  # no policy snapshot: the first step copies it, as for an alert
            esc_due_at=now,
            esc_rung_for=now,  # not rung, and the sweep leaves it alone for 30 s
        )
        for n in range(2)
    )
    # The very query escalation_fire runs, from the engine's own helper.
    query = engine._skip_locked(
        Incident.objects.filter(pk=first.pk, status=Incident.Status.TRIGGERED, esc_due_at__lte=now)
    ).select_related("service")
    with transaction.atomic():  # Django compiles FOR UPDATE only inside a transaction
        sql, params = query.query.sql_with_params()
    hold = 0.5
    with psycopg.connect(**_dsn()) as other:
        other.execute(sql, params).fetchall()
        fired = engine.escalation_fire(incident_id=second.pk, now=datetime.now(UTC))
        release = threading.Timer(hold, other.rollback)
        release.start()
        started = time.perf_counter()
        alerts_ingest(
            integration=integration,
            events=[AlertEvent(action="trigger", dedup_key=f"probe-{now.timestamp()}", title="x")],
            now=datetime.now(UTC),
        )
        blocked = time.perf_counter() - started
        release.join()  # the lock is released before its connection closes
    lock = sql[sql.rindex("FOR ") :] if "FOR " in sql else "no row lock"
    joined = ' JOIN "incidents_service"' in sql
    print(
        f"Lock probe: escalation_fire's query takes '{lock}'"
        f"{' on a join of incident and service' if joined else ''}. Another connection holds "
        "it for one incident, as a worker does while firing it; meanwhile:"
    )
    skipped = f" (skipped: re-rung only once {engine._stuck().total_seconds():.0f} s overdue)"
    print(
        f"  escalation_fire for a second incident of the same service "
        f"{'fired it' if fired is not None else 'returned None'}{'' if fired else skipped}"
    )
    waited = " (blocked: the deferred foreign-key check at COMMIT needs the service row)"
    print(
        f"  a new alert for that service took {_ms(blocked)} while the lock was held "
        f"{_ms(hold)}{waited if blocked > hold * 0.8 else ''}"
    )
    Incident.objects.filter(service=service).update(
        status=Incident.Status.RESOLVED, esc_due_at=None
    )


# --- the hot path, in this process --------------------------------------------------------------

STATEMENT = re.compile(
    r"^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO)"
    r'(?:.*?\bFROM\b)?\s*"?(\w+)?',
    re.S,
)


def _statement_kind(sql: str) -> str:
    match = STATEMENT.match(sql)
    if match is None:
        return sql.split()[0]
    verb, table = match.groups()
    if verb.endswith("SAVEPOINT") or verb == "ROLLBACK TO":
        return verb
    return f"{verb} {table}"


class WsgiCaller:
    """Call the WSGI application as a WSGI server would, request_started signal included (which runs
    the CONN_HEALTH_CHECKS `SELECT 1`; Django's test Client switches that off)."""

    def __init__(self):
        import io

        from django.core.wsgi import get_wsgi_application

        self.app, self.io = get_wsgi_application(), io

    def post(self, path: str, body: bytes) -> str:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": self.io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        status = []
        response = self.app(environ, lambda s, h, e=None: status.append(s))
        try:
            b"".join(response)
        finally:
            response.close()
        return status[0]


def _count(caller: WsgiCaller, path: str, body: bytes) -> tuple[list[str], int]:
    """Return the SQL statements one request runs, and how many health checks it made."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    checks = [0]
    usable = connection.is_usable

    def counted():
        checks[0] += 1
        return usable()

    connection.is_usable = counted
    try:
        with CaptureQueriesContext(connection) as captured:
            status = caller.post(path, body)
    finally:
        del connection.is_usable
    assert status.startswith("202"), status
    return [q["sql"] for q in captured.captured_queries], checks[0]


def _summary(statements: list[str]) -> str:
    counts = Counter(_statement_kind(sql) for sql in statements)
    return ", ".join(f"{kind} x{n}" if n > 1 else kind for kind, n in counts.most_common())


def _timed(
    caller: WsgiCaller, path: str, bodies: list[bytes], before=None
) -> tuple[float, float, float]:
    """Return the median wall time of a request, time inside SQL statements, and CPU time."""
    from django.db import connection

    walls, sqls, cpus = [], [], []
    for body in bodies:
        if before is not None:
            before()
        spent = [0.0]

        def timer(execute, sql, params, many, context, spent=spent):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                spent[0] += time.perf_counter() - started

        started, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(timer):
            caller.post(path, body)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        sqls.append(spent[0])
    return (
        harness.percentile(walls, 0.5),
        harness.percentile(sqls, 0.5),
        harness.percentile(cpus, 0.5),
    )


PSYCOPG = "  (all psycopg execute + commit calls)"
PROFILED = [
    ("django/core/handlers/wsgi.py", "__call__", "whole request (WSGIHandler)"),
    ("django/db/backends/postgresql/base.py", "is_usable", "  CONN_HEALTH_CHECKS SELECT 1"),
    ("incidents/services/integrations.py", "integration_authenticate", "  token lookup"),
    ("incidents/throttle.py", "throttle_check", "  rate limit (Redis cache)"),
    ("incidents/ingest/body.py", "json_decode", "  JSON decode + checks"),
    ("incidents/ingest/webhook.py", "parse", "  webhook parse"),
    ("incidents/ingest/alertmanager.py", "parse", "  alertmanager parse"),
    ("django/db/transaction.py", "__exit__", "  atomic exits (RELEASE, COMMIT, on_commit)"),
    ("incidents/services/doorbell.py", "_bell", "    engine doorbell (coalesced)"),
    ("incidents/services/alerts.py", "alerts_ingest", "  alerts_ingest body (before COMMIT)"),
    ("incidents/services/alerts.py", "_incidents_insert", "    INSERT … ON CONFLICT incidents"),
    ("incidents/services/alerts.py", "_incidents_open", "    read incidents already open"),
    ("incidents/services/alerts.py", "_rows_insert", "    INSERT timeline entries, alerts"),
    ("django/http/response.py", "__init__", "  JsonResponse"),
]


def _profile(caller: WsgiCaller, path: str, bodies: list[bytes]) -> list[str]:
    profiler = cProfile.Profile()
    profiler.enable()
    for body in bodies:
        caller.post(path, body)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    cumulative = {label: 0.0 for _, _, label in PROFILED}
    for (filename, _, function), (_, _, _, cum, _) in stats.items():
        for suffix, name, label in PROFILED:
            if function == name and filename.endswith(suffix):
                cumulative[label] += cum
    cumulative[PSYCOPG] = sum(
        row[3]
        for (filename, _, function), row in stats.items()
        if "/psycopg/" in filename and function in ("execute", "executemany", "commit")
    )
    total = cumulative["whole request (WSGIHandler)"] or 1.0
    return [
        f"{label:<42} {cum / len(bodies) * 1000:8.2f} ms {cum / total:6.1%}"
        for label, cum in cumulative.items()
        if cum
    ]


ENGINE_PROFILED = [
    ("incidents/services/engine.py", "escalation_run", "escalation_run"),
    ("incidents/services/engine.py", "_fire_many", "firing (in its transaction)"),
    ("incidents/services/engine.py", "maintenance_ends", "maintenance check"),
    ("incidents/services/engine.py", "_policy", "policy (snapshot kept per version)"),
    ("incidents/services/targets.py", "targets_resolve", "targets_resolve"),
    ("oncall/selectors.py", "_rotas_at", "of which rotas (kept per version)"),
    ("incidents/services/pages.py", "pages_create_many", "pages_create_many"),
    ("incidents/services/timeline.py", "timeline_add", "timeline inserts"),
    ("incidents/services/pages.py", "pages_send_created", "first pages sent from memory"),
]


def _engine_path() -> None:
    """Statements and time of the engine's work behind every first page (workers stopped)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.models import Incident, Page, Service
    from incidents.services import engine

    service = Service.objects.select_related("escalation_policy").get(name="processing")
    now = datetime.now(UTC)
    made = Incident.objects.bulk_create(
        Incident(
            service=service,
            dedup_key=f"engine-{now.timestamp()}-{n}",
            title="Engine path",
            created_at=now,  # no policy snapshot: the first step copies it, as for an alert
            esc_due_at=now,
            esc_rung_for=now,
        )
        for n in range(18)
    )
    statements: list[str] = []
    walls, cpus = [], []
    for incident in made[:12]:
        with CaptureQueriesContext(connection) as captured:
            wall, cpu = time.perf_counter(), time.process_time()
            engine.escalation_run(incident_id=incident.pk, now=datetime.now(UTC))
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        statements = statements or [q["sql"] for q in captured.captured_queries]
    pages = Page.objects.filter(incident__in=made[:12], state=Page.State.SENT).count()
    print(
        "Engine, per incident: escalation_run = fire the first step + send its due pages "
        "(in-process, serial, workers stopped; median of 12, the first compiles the rota):"
    )
    print(
        f"  {len(statements)} statements for the first, {_ms(harness.percentile(walls, 0.5))} "
        f"wall, {_ms(harness.percentile(cpus, 0.5))} CPU; {pages / 12:.1f} pages sent each"
    )
    print(f"  statements: {_summary(statements)}")
    profiler = cProfile.Profile()
    profiler.enable()
    for incident in made[12:]:
        engine.escalation_run(incident_id=incident.pk, now=datetime.now(UTC))
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    shares = {label: 0.0 for _, _, label in ENGINE_PROFILED}
    for (filename, _, function), (_, _, _, cum, _) in stats.items():
        for suffix, name, label in ENGINE_PROFILED:
            if function == name and filename.endswith(suffix):
                shares[label] += cum
    total = shares[ENGINE_PROFILED[0][2]] or 1.0
    print(f"  escalation_run, cProfile over {len(made) - 12} (share of its body):")
    print("    " + ", ".join(f"{label} {cum / total:.0%}" for label, cum in shares.items()))
    Incident.objects.filter(pk__in=[i.pk for i in made]).update(
        status=Incident.Status.RESOLVED, esc_due_at=None
    )
    batch = Incident.objects.bulk_create(
        Incident(
            service=service,
            dedup_key=f"engine-run-{now.timestamp()}-{n}",
            title="Engine run",
            created_at=now,
            esc_due_at=now,
            esc_rung_for=now,
        )
        for n in range(60)
    )
    with CaptureQueriesContext(connection) as captured:
        wall, cpu = time.perf_counter(), time.process_time()
        fired = engine.engine_run(clock=lambda: datetime.now(UTC))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"  engine_run over {fired} due incidents (what a doorbell runs; {engine.FIRE_BATCH} "
        f"steps per transaction): {len(captured.captured_queries) / max(fired, 1):.1f} "
        f"statements, {_ms(wall / max(fired, 1))} wall, {_ms(cpu / max(fired, 1))} CPU "
        "per incident, its first pages sent"
    )
    Incident.objects.filter(pk__in=[i.pk for i in batch]).update(
        status=Incident.Status.RESOLVED, esc_due_at=None
    )


def hot_path(paths: dict[str, str]) -> None:

    caller = WsgiCaller()
    stamp = int(time.time() * 1000)
    head, alert, tail = harness.alertmanager_template(BATCH)

    def webhook(key: str) -> bytes:
        return f'{{"title": "Hot path {key}", "status": "firing", "dedup_key": "{key}"}}'.encode()

    def batch(prefix: str) -> bytes:
        alerts_ = ",".join(
            alert.replace("FINGERPRINT", f"{prefix}{n:04d}").replace("INSTANCE", f"{n:04x}")
            for n in range(BATCH)
        )
        return (head + alerts_ + tail).encode()

    caller.post(paths["single"], webhook(f"warm-{stamp}"))
    new, checks = _count(caller, paths["single"], webhook(f"new-{stamp}"))
    again, _ = _count(caller, paths["single"], webhook(f"new-{stamp}"))
    fresh, _ = _count(caller, paths["alertmanager"], batch(f"h{stamp}"))
    repeat, _ = _count(caller, paths["alertmanager"], batch(f"h{stamp}"))
    print("SQL statements per request (counted in-process through Django's WSGI handler, as")
    print("  a server calls it; BEGIN and COMMIT are each a round trip and are counted):")
    print(f"  single alert, new incident  : {len(new)} + {checks} health-check SELECT 1")
    print(f"      {_summary(new)}")
    print(f"  single alert, duplicate key : {len(again)} + {checks} health-check SELECT 1")
    print(f"      {_summary(again)}")
    print(f"  {BATCH}-alert batch, all new   : {len(fresh)} ({len(fresh) / BATCH:.1f} per alert)")
    print(f"      {_summary(fresh)}")
    print(f"  {BATCH}-alert batch, all known : {len(repeat)} ({len(repeat) / BATCH:.2f} per alert)")
    print(f"      {_summary(repeat)}")

    wall, sql, cpu = _timed(caller, paths["single"], [webhook(f"t{stamp}-{n}") for n in range(60)])
    dwall, dsql, dcpu = _timed(caller, paths["single"], [webhook(f"new-{stamp}")] * 60)
    bodies = [batch(f"b{stamp}{n:02d}") for n in range(3)]
    bwall, bsql, bcpu = _timed(caller, paths["alertmanager"], bodies)
    harness.bare_route()
    bodies = [webhook(f"bare{stamp}-{n}") for n in range(60)]
    rwall, rsql, rcpu = _timed(caller, harness.BARE_PATH, bodies)
    print("Serial, one process, no load from us (median; the machine is shared, see 'other'):")
    for name, (w, q, c, n) in {
        "single alert, new incident ": (wall, sql, cpu, 1),
        "single alert, duplicate key": (dwall, dsql, dcpu, 1),
        f"{BATCH}-alert batch, all new  ": (bwall, bsql, bcpu, BATCH),
        "bare view, one INSERT       ": (rwall, rsql, rcpu, 1),
    }.items():
        print(
            f"  {name}: {_ms(w)} wall, {_ms(c)} CPU in Django's process, {_ms(q)} inside SQL "
            f"statements -> at most {n / c:,.0f} alerts/s per core for the web process alone"
        )

    print("Where the time goes (cProfile, cumulative per request; the profiler inflates")
    print("  Python-heavy parts; indented lines are inside the one above them):")
    print("  single alert, new incident (60 requests):")
    for line in _profile(caller, paths["single"], [webhook(f"c{stamp}-{n}") for n in range(60)]):
        print(f"    {line}")
    print(f"  {BATCH}-alert batch, all new (2 requests):")
    for line in _profile(
        caller, paths["alertmanager"], [batch(f"p{stamp}{n:02d}") for n in range(2)]
    ):
        print(f"    {line}")


def shares(results: dict, bares: list[float]) -> float:
    """Print each scenario before and after as a share of the bare view; return the bare rate."""
    bare = sum(bares) / len(bares)

    def rate(mode: str, name: str) -> str:
        got = results[mode, name]
        share = got["rate"] / bare if bare else float("nan")
        extra = f" ({got['alerts']:,.0f} alerts/s)" if "alerts" in got else ""
        return f"{got['rate']:,.0f}/s = {share:.0%}{extra}, p99 {_ms(got['p99'])}"

    def paged(mode: str) -> str:
        got = results[mode, "paged"]
        return f"p50 {_ms(got['p50'])}, p99 {_ms(got['p99'])}"

    rows = [
        (
            "single alerts, web alone",
            ">= 80 %, p99 < 50 ms",
            rate("before", "single"),
            rate("after", "single"),
        ),
        (
            "single alerts, engine paging each",
            ">= 50 %",
            rate("before", "engine"),
            rate("after", "engine"),
        ),
        ("storm, 95 % one key", ">= 100 %", rate("before", "storm"), rate("after", "storm")),
        (
            "Alertmanager, 100 a request",
            ">= 8,000 alerts/s",
            rate("before", "batches"),
            rate("after", "batches"),
        ),
        (
            "accepted -> first page, 100/s",
            "p50 < 100 ms, p99 < 300 ms",
            paged("before"),
            paged("after"),
        ),
    ]
    print(
        f"Before and after, as shares of the bare one-INSERT view ({bare:,.0f} requests/s, the "
        f"mean of {' and '.join(f'{b:,.0f}' for b in bares)}; requests/s for the Alertmanager "
        f"batches). Before: {MODES['before'][1]}; after: {MODES['after'][1]}. Both with this "
        "tree's engine and Redis cache."
    )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    header = ("scenario", "target", "before", "after")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    for row in [header, *rows]:
        print("  " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    return bare


def compare(single: dict, paged: dict, storm_rate: float, batch_rate: float, bare: float) -> None:
    low, high = GRAFANA["accepted"]
    plow, phigh = GRAFANA["processed"]
    rate = single["rate"]
    print("Grafana OnCall on this class of machine (the issue's figures) against ours:")
    print(
        f"  webhooks accepted/s       : theirs {low}-{high}, ours {rate:,.0f} (single alerts, "
        f"Procfile set-up) -> ours/theirs {rate / high:.2f}-{rate / low:.2f}"
    )
    print(
        f"  alerts -> incidents/s     : theirs {plow}-{phigh}, ours {rate:,.0f} (the incident is "
        f"made inside the request) -> ours/theirs {rate / phigh:.1f}-{rate / plow:.1f}; storm "
        f"{storm_rate:,.0f}/s, batches {batch_rate:,.0f}/s"
    )
    print(
        f"  alert -> notification     : theirs p50 {GRAFANA['p50']} s, p99 {GRAFANA['p99']} s; "
        f"ours p50 {_ms(paged['p50'])}, p99 {_ms(paged['p99'])} -> theirs/ours (above 1: we "
        f"are faster) {GRAFANA['p50'] / paged['p50']:.2f} and {GRAFANA['p99'] / paged['p99']:.2f}"
        " (0.00: some of ours were not paged within the wait)"
    )
    print(
        f"  bare Django view, 1 INSERT: theirs ~{GRAFANA['bare']:,}/s, here {bare:,.0f}/s; "
        f"ours single alerts {rate / GRAFANA['bare']:.2f} of theirs"
    )
    print(
        f"  as a share of a bare view on the same machine: Grafana OnCall "
        f"{low / GRAFANA['bare']:.0%}-{high / GRAFANA['bare']:.0%}, ours "
        f"{rate / bare if bare else float('nan'):.0%} (this removes the machine's speed and, "
        "roughly, its noise)"
    )


def _setup(env: dict) -> None:
    harness.database(DATABASE, create=True)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "demo", "--force"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def _integrations() -> dict[str, str]:
    from incidents.models import Service
    from incidents.services.integrations import integration_create

    paths: dict = {
        "paced": [
            f"/integrations/webhook/{token}/"
            for _, token in harness.paging_organisation(PACED_PEOPLE, prefix="paced")
        ]
    }
    for name, service, kind in (
        ("single", "edge", "webhook"),
        ("storm", "auth", "webhook"),
        ("alertmanager", "catalog", "alertmanager"),
        ("probe", "processing", "webhook"),
    ):
        integration, token = integration_create(
            service=Service.objects.get(name=service),
            kind=kind,
            name=f"bench-{name}",
            rate_limit_per_second=RATE_LIMIT,
        )
        paths[name] = f"/integrations/{kind}/{token}/"
    return paths


def _conditions(sweep_seconds: float) -> None:
    from incidents.models import Integration

    default = Integration._meta.get_field("rate_limit_per_second").default
    print(
        f"conditions: Python {platform.python_version()}, {os.cpu_count()} CPUs (shared with "
        f"other people's jobs: see 'other processes'), PostgreSQL {PG_HOST}:{PG_PORT}/"
        f"{DATABASE} (fresh, demo loaded), Redis db 7 as Celery broker and as cache (REDIS_URL: "
        "shared rate-limit counters), production settings (DEBUG off), recording channel"
    )
    print(
        "  web: python -m oncall.config.web (uvicorn, the Procfile's web process) with "
        "WEB_ACCESS_LOG=off"
    )
    print(
        "  engine: celery --app oncall.config worker --loglevel INFO --concurrency 2 (prefork) "
        f"+ celery beat (sweep every {sweep_seconds:g} s)"
    )
    print(
        "  load: 1 asyncio process (bench/_harness.py), keep-alive where the server allows it "
        "(uvicorn keeps connections open), loopback"
    )
    print(
        f"  each bench integration's rate_limit_per_second is {RATE_LIMIT:,}; the default "
        f"({default:,}/s per integration) would answer 429 to any run above {default:,}/s"
    )


def main() -> None:
    if harness.services_missing("bench_ingest"):
        return
    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="plantao-bench-"))
    env = _env(tmp)
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))

    import django
    import redis as redis_client

    redis = redis_client.Redis.from_url(REDIS)
    redis.flushdb()
    _setup(env)
    django.setup()
    from oncall.config.beat import SWEEP_SECONDS

    stack = Stack(env, tmp)
    stack.paths = _integrations()
    _conditions(SWEEP_SECONDS)
    label = f"{WORKERS} workers"
    results: dict[tuple[str, str], dict] = {}
    bares: list[float] = []
    try:
        # Calibration, and the web alone before and after (no Celery worker: doorbells dropped).
        stack.web_start(WORKERS, app="_harness:bare_app")
        bares.append(bare_view(stack, label))
        stack.web_stop()
        for mode, (lane, named) in MODES.items():
            stack.web_start(WORKERS, lane=lane)
            alone = f"{label}; {mode}: {named}; no Celery worker"
            results[mode, "single"] = single_alerts(stack, alone, redis)
            results[mode, "storm"] = storm(stack, alone, redis)
            results[mode, "batches"] = batches(stack, alone, redis)
            stack.web_stop()
        stack.web_start(WORKERS, app="_harness:bare_app")
        bares.append(bare_view(stack, label))
        stack.web_stop()
        # The same two cores shared with the engine, paging every incident.
        stack.engine_start()
        for mode, (lane, named) in MODES.items():
            stack.web_start(WORKERS, lane=lane)
            shared = f"{label}; {mode}: {named}; with the engine"
            results[mode, "engine"] = single_alerts(stack, shared, redis)
            results[mode, "paged"] = alert_to_page(stack, shared, redis)
            stack.web_stop()
        escalation_lateness(SWEEP_SECONDS)
        stack.engine_stop()
        lock_probe()
        _engine_path()
        hot_path(stack.paths)
        bare = shares(results, bares)
        compare(
            results["after", "single"],
            results["after", "paged"],
            results["after", "storm"]["rate"],
            results["after", "batches"]["alerts"],
            bare,
        )
    finally:
        stack.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"(bench_ingest took {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
