"""Where a single-alert ingest request spends its CPU (make bench): figures, never asserts.

Issue 23, point 1. In ONE process, with the production settings bench_ingest.py uses (its own
PostgreSQL database, plantao_bench_breakdown, recreated with the demo loaded; Redis db 7 as the
cache when it answers), drive single-alert generic-webhook requests with distinct dedup keys
through Django's ASGI handler exactly as uvicorn calls it (`await application(scope, receive,
send)`, the gates of oncall/config/asgi.py included, one request at a time), and split each
request's CPU by phase:

- every middleware (its own time: the time inside it minus the time inside the next one),
- the sync/async hops asgiref makes between them (the ASGI handler is async, WhiteNoise, the
  audit middleware and the view are sync),
- URL resolution, and the view's parts: token check, rate limit, JSON decode, payload
  validation, the transaction (the alert/incident writes, COMMIT, the doorbell after it), the
  rest of the view; the ASGI handler and its signals around all of it.

Why ASGI and not WSGI: uvicorn serves oncall.config.asgi in production, and the hops between
the async handler and the sync middleware and view are part of today's cost; a WSGI handler (or
django.test.Client) would leave them out.

Timers are spans installed by monkeypatching in this process only (no production code changes):
each span reads the process's CPU clock (all threads: the hops move work between the event loop
and asgiref's thread) and the wall clock; a span's own time is its time minus its children's.
The same requests are also run with no timers installed, for requests/s in-process and the
timers' overhead (and to count the Redis connections opened per request, from the server's own
tally); the SQL statements per request are counted apart; the rate limit is also timed alone on
a cache connection kept across calls. The bare one-INSERT view (bench/_harness.py, the
calibration of bench_ingest.py) is measured the same way, so the ingest figure reads against it.
The breakdown is of Django's handler (PLANTAO_INGEST_LANE=off here); the ingest lane, the web
tier's default since issue 23, is then measured whole, one request at a time, beside it.
Skips (exit 0) when PostgreSQL is not reachable.
"""

from __future__ import annotations

import asyncio
import functools
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from asgiref.sync import iscoroutinefunction

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as harness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "plantao_bench_breakdown"
REDIS = "redis://127.0.0.1:6379/7"
REQUESTS = 3_000  # per measured pass, or SECONDS, whichever ends first; after WARM requests
SECONDS = 6.0
WARM = 200
COUNTED = 50  # requests whose SQL statements are counted
RATE_LIMIT = 1_000_000  # never a 429 here

# Span labels, in the order the table prints them.
GATES = "gates (oncall.config.gates: key, body read)"
HANDLER = "ASGI handler (body file, tasks, disconnect watch)"
REQUEST = "ASGI handler: request object"
RESPONSE = "ASGI handler: response messages"
SIGNALS = "request_started/finished signals"
HOPS = "sync<->async hops (asgiref)"
CORE = "handler core (view middleware, checks)"
RESOLVE = "URL resolution"
VIEW = "view: the rest (body, decorators, JsonResponse)"
TOKEN = "view: token check (integration_authenticate)"
THROTTLE = "view: rate limit (throttle_check)"
DECODE = "view: JSON decode (json_decode)"
VALIDATE = "view: validation (webhook.parse)"
WRITES = "view: transaction: writes (alerts_store in write_alone)"
COMMIT = "view: transaction: COMMIT"
BELL = "view: transaction: doorbell after COMMIT"


# --- spans --------------------------------------------------------------------------------------


class Spans:
    """Nested timers across threads. Requests run one at a time, so spans nest in time even when
    a hop moves the work to another thread: one stack serves them all."""

    def __init__(self):
        self.on = False
        self.stack: list[list] = []
        self.current: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.requests: list[dict[str, list[int]]] = []
        self.entered: dict[str, int] = defaultdict(int)

    def enter(self, label: str) -> None:
        self.entered[label] += 1
        self.stack.append([label, time.process_time_ns(), time.perf_counter_ns(), 0, 0])

    def exit(self) -> None:
        cpu, wall = time.process_time_ns(), time.perf_counter_ns()
        label, cpu0, wall0, child_cpu, child_wall = self.stack.pop()
        cpu, wall = cpu - cpu0, wall - wall0
        own = self.current[label]
        own[0] += cpu - child_cpu
        own[1] += wall - child_wall
        if self.stack:
            self.stack[-1][3] += cpu
            self.stack[-1][4] += wall
        else:  # a request ended
            self.requests.append(dict(self.current))
            self.current = defaultdict(lambda: [0, 0])


SPANS = Spans()


def timed(function, label: str, is_async: bool | None = None):
    """Return `function` wrapped in a span named `label` (async or not, as `function` is)."""
    if is_async is None:
        is_async = iscoroutinefunction(function)
    if is_async:

        async def wrapper(*args, **kwargs):
            if not SPANS.on:
                return await function(*args, **kwargs)
            SPANS.enter(label)
            try:
                return await function(*args, **kwargs)
            finally:
                SPANS.exit()

    else:

        def wrapper(*args, **kwargs):
            if not SPANS.on:
                return function(*args, **kwargs)
            SPANS.enter(label)
            try:
                return function(*args, **kwargs)
            finally:
                SPANS.exit()

    if not isinstance(function, functools.partial) and hasattr(function, "__name__"):
        functools.update_wrapper(wrapper, function)  # csrf_exempt and the like survive
        del wrapper.__wrapped__  # else iscoroutinefunction would look through the wrapper
    return wrapper


def _middleware_label(name: str) -> str:
    return f"middleware {name}"


def instrumented_application():
    """Build the project's ASGI application (as oncall/config/asgi.py does) with a span around
    every middleware (its process_view too) and the handler core. Patches only what Django
    reads while loading middleware, and puts it back: other handlers are left untimed."""
    from django.core.asgi import get_asgi_application
    from django.core.handlers import base

    from oncall.config.gates import body_bounded, development_key_loopback_only

    original_convert = base.convert_exception_to_response
    original_adapt = base.BaseHandler.adapt_method_mode

    def convert(get_response):
        if getattr(get_response, "__name__", "") in ("_get_response_async", "_get_response"):
            get_response = timed(get_response, CORE)
        else:
            get_response = timed(get_response, _middleware_label(type(get_response).__name__))
        return original_convert(get_response)

    def adapt(self, is_async, method, method_is_async=None, debug=False, name=None):
        if method_is_async is None:
            method_is_async = iscoroutinefunction(method)
        owner = getattr(method, "__self__", None)
        if owner is not None and not isinstance(owner, base.BaseHandler):  # process_view & co
            method = timed(method, _middleware_label(type(owner).__name__), method_is_async)
        # The hop itself, if any, is timed by ViewSpans (every SyncToAsync / AsyncToSync call).
        return original_adapt(self, is_async, method, method_is_async, debug, name)

    base.convert_exception_to_response = convert
    base.BaseHandler.adapt_method_mode = adapt
    try:
        application = get_asgi_application()
    finally:
        base.convert_exception_to_response = original_convert
        base.BaseHandler.adapt_method_mode = original_adapt
    application = timed(application, HANDLER, True)
    return timed(development_key_loopback_only(body_bounded(application)), GATES, True)


class ViewSpans:
    """While entered: spans around URL resolution, the view, its parts and the signals, by
    replacing module attributes (the view's own imports included); put back on exit."""

    def __enter__(self):
        from asgiref.sync import AsyncToSync, SyncToAsync
        from django.core import signals
        from django.core.handlers.asgi import ASGIHandler
        from django.core.handlers.base import BaseHandler
        from django.db.backends.base.base import BaseDatabaseWrapper

        from incidents.ingest import webhook
        from incidents.services import doorbell
        from incidents.views import ingest

        resolve = BaseHandler.resolve_request

        def resolve_request(handler, request):
            match = resolve(handler, request)
            match.func = timed(match.func, VIEW)
            return match

        self.saved = []
        for owner, name, replacement in (
            # Every hop, the handler's own (signals, response.close) as well as the adapters'.
            (SyncToAsync, "__call__", timed(SyncToAsync.__call__, HOPS, True)),
            (AsyncToSync, "__call__", timed(AsyncToSync.__call__, HOPS, False)),
            (ASGIHandler, "create_request", timed(ASGIHandler.create_request, REQUEST)),
            (ASGIHandler, "send_response", timed(ASGIHandler.send_response, RESPONSE)),
            (BaseHandler, "resolve_request", timed(resolve_request, RESOLVE)),
            (ingest, "integration_authenticate", timed(ingest.integration_authenticate, TOKEN)),
            (ingest, "throttle_check", timed(ingest.throttle_check, THROTTLE)),
            (ingest, "json_decode", timed(ingest.json_decode, DECODE)),
            (webhook, "parse", timed(webhook.parse, VALIDATE)),
            (ingest, "write_alone", timed(ingest.write_alone, WRITES)),
            (BaseDatabaseWrapper, "commit", timed(BaseDatabaseWrapper.commit, COMMIT)),
            (doorbell, "_bell", timed(doorbell._bell, BELL)),
            (signals.request_started, "asend", timed(signals.request_started.asend, SIGNALS)),
            (signals.request_finished, "send", timed(signals.request_finished.send, SIGNALS)),
        ):
            self.saved.append((owner, name, owner.__dict__.get(name)))
            setattr(owner, name, replacement)
        SPANS.on = True
        return self

    def __exit__(self, *exc):
        SPANS.on = False
        for owner, name, value in reversed(self.saved):
            if value is None:
                delattr(owner, name)  # it was inherited or a class attribute: fall back to it
            else:
                setattr(owner, name, value)


# --- the driver ---------------------------------------------------------------------------------


async def post(application, path: str, body: bytes) -> int:
    """Send one POST as uvicorn would: the scope, the body in one message, then (once answered)
    a disconnect; return the status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"user-agent", b"plantao-bench"),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    answered = asyncio.Event()
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    status = []

    async def receive():
        if pending:
            return pending.pop()
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif not message.get("more_body"):
            answered.set()

    await application(scope, receive, send)
    answered.set()
    return status[0]


def webhook_body(key: str) -> bytes:
    return f'{{"title": "Breakdown {key}", "status": "firing", "dedup_key": "{key}"}}'.encode()


def redis_connections() -> int | None:
    """Return how many connections the Redis server has accepted so far (None: no Redis)."""
    if not os.environ.get("REDIS_URL"):
        return None
    import redis

    with redis.Redis.from_url(REDIS) as client:
        return client.info("stats")["total_connections_received"] - 1  # less this one


async def run(application, path: str, prefix: str, limit: int, seconds: float = SECONDS) -> dict:
    """Post up to `limit` distinct-key alerts one after another, for at most `seconds`; return
    CPU and wall per request, statuses and the Redis connections opened per request."""
    statuses: dict[int, int] = defaultdict(int)
    connections = redis_connections()
    deadline = time.monotonic() + seconds
    cpu, wall = time.process_time_ns(), time.perf_counter_ns()
    count = 0
    while count < limit and time.monotonic() < deadline:
        statuses[await post(application, path, webhook_body(f"{prefix}-{count}"))] += 1
        count += 1
    cpu, wall = time.process_time_ns() - cpu, time.perf_counter_ns() - wall
    if connections is not None:
        connections = (redis_connections() - connections) / count
    return {
        "cpu": cpu / count / 1000,
        "wall": wall / count / 1000,
        "statuses": dict(statuses),
        "redis": connections,
        "count": count,
    }


async def statements(application, path: str, prefix: str) -> tuple[float, float]:
    """Return the SQL statements per request (BEGIN and COMMIT counted, as Django logs them) and
    the connection health checks per request, over COUNTED requests."""
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.postgresql.base import DatabaseWrapper
    from django.db.backends.signals import connection_created

    wrappers = {}
    checks = [0]
    usable = DatabaseWrapper.is_usable

    def seen(sender, connection, **kwargs):
        wrappers[id(connection)] = connection

    def counted(self):
        checks[0] += 1
        return usable(self)

    logged = BaseDatabaseWrapper.queries_logged
    BaseDatabaseWrapper.queries_logged = property(lambda self: True)
    DatabaseWrapper.is_usable = counted
    connection_created.connect(seen)
    try:
        for n in range(COUNTED):
            await post(application, path, webhook_body(f"{prefix}-{n}"))
    finally:
        connection_created.disconnect(seen)
        DatabaseWrapper.is_usable = usable
        BaseDatabaseWrapper.queries_logged = logged
    total = sum(len(wrapper.queries_log) for wrapper in wrappers.values())
    for wrapper in wrappers.values():
        wrapper.queries_log.clear()
    return total / COUNTED, checks[0] / COUNTED


def throttle_alone(path: str, count: int = 500) -> float:
    """Return the CPU µs of one rate-limit check on a cache kept across calls (one thread, one
    context: one Redis connection for all of them), to set against the check in a request."""
    from incidents.services.integrations import integration_authenticate
    from incidents.throttle import throttle_check
    from oncall import clock

    integration = integration_authenticate(
        token=path.rstrip("/").rsplit("/", 1)[1], now=clock.now()
    )
    throttle_check(integration=integration, now=clock.now())  # connects
    started = time.process_time_ns()
    for _ in range(count):
        throttle_check(integration=integration, now=clock.now())
    return (time.process_time_ns() - started) / count / 1000


# --- the report ---------------------------------------------------------------------------------


def phases(requests: list[dict]) -> list[str]:
    from django.conf import settings

    order = [
        GATES,
        HANDLER,
        REQUEST,
        RESPONSE,
        SIGNALS,
        *(_middleware_label(path.rsplit(".", 1)[1]) for path in settings.MIDDLEWARE),
        HOPS,
        CORE,
        RESOLVE,
        TOKEN,
        THROTTLE,
        DECODE,
        VALIDATE,
        WRITES,
        COMMIT,
        BELL,
        VIEW,
    ]
    seen = {label for request in requests for label in request}
    return order + sorted(seen - set(order))


def table(title: str, requests: list[dict], plain: dict, instrumented: dict) -> dict[str, float]:
    """Print the breakdown of `requests`; return each phase's mean CPU µs per request."""
    count = len(requests)
    totals = [sum(cpu for cpu, _ in request.values()) / 1000 for request in requests]
    walls = [sum(wall for _, wall in request.values()) / 1000 for request in requests]
    total = statistics.fmean(totals)
    means = {}
    print(f"{title}: CPU per request by phase ({count} requests, one at a time)")
    print(f"  {'phase':<52} {'median':>8} {'mean':>8} {'share':>6} {'wall mean':>10}")
    for label in phases(requests):
        cpus = [request.get(label, (0, 0))[0] / 1000 for request in requests]
        wall = statistics.fmean(request.get(label, (0, 0))[1] / 1000 for request in requests)
        if not any(cpus) and not wall:
            continue
        means[label] = statistics.fmean(cpus)
        print(
            f"  {label:<52} {statistics.median(cpus):6.0f}µs {means[label]:6.0f}µs "
            f"{means[label] / total:6.1%} {wall:8.0f}µs"
        )
    print(
        f"  {'total':<52} {statistics.median(totals):6.0f}µs {total:6.0f}µs {1:6.1%} "
        f"{statistics.fmean(walls):8.0f}µs"
    )
    print(f"  sync<->async hops per request: {instrumented['hops']:.0f}")
    print(
        f"  in-process, no timers ({plain['count']:,} requests): "
        f"{1e6 / plain['wall']:,.0f} requests/s, {plain['cpu']:.0f} µs "
        f"CPU and {plain['wall']:.0f} µs wall per request (statuses {plain['statuses']}); with "
        f"timers {instrumented['cpu']:.0f} µs CPU (the timers' own cost is in the phases, "
        "mostly the outer ones)"
    )
    if plain["redis"] is not None:
        print(
            f"  Redis connections opened per request: {plain['redis']:.2f} (Django's cache objects "
            "are per async context under ASGI; oncall.config.cache keeps the process's pool: "
            "1.00 here before it)"
        )
    return means


def verdict(ingest: dict[str, float], bare: dict[str, float]) -> None:
    """Say what ingest costs over the bare view, and how much of it the ingest URL need not pay."""
    from django.conf import settings

    unneeded = [
        _middleware_label(path.rsplit(".", 1)[1])
        for path in settings.MIDDLEWARE
        if not path.endswith(("SecurityMiddleware", "CommonMiddleware"))
    ]
    total, bare_total = sum(ingest.values()), sum(bare.values())
    middleware = sum(ingest.get(label, 0.0) for label in unneeded)
    hops = ingest.get(HOPS, 0.0)
    view = sum(ingest.get(label, 0.0) for label in (TOKEN, THROTTLE, DECODE, VALIDATE, VIEW))
    transaction = sum(ingest.get(label, 0.0) for label in (WRITES, COMMIT, BELL))
    names = ", ".join(label.removeprefix("middleware ") for label in unneeded)
    print(
        f"Ingest costs {total:,.0f} µs CPU per request, the bare view {bare_total:,.0f} µs "
        f"({bare_total / total:.0%} of ingest's)"
    )
    print(
        f"  of which middleware the ingest URL does not need ({names}): {middleware:,.0f} µs "
        f"({middleware / total:.0%}); sync<->async hops: {hops:,.0f} µs ({hops / total:.0%}); "
        f"the view around the transaction (token, rate limit, JSON, validation, rest): "
        f"{view:,.0f} µs ({view / total:.0%}); the transaction: {transaction:,.0f} µs "
        f"({transaction / total:.0%})"
    )


# --- set-up -------------------------------------------------------------------------------------


def _environment(tmp: Path, redis: bool) -> dict:
    env = harness.production_env(
        database=DATABASE,
        redis=REDIS,
        tmp=tmp,
        PLANTAO_CHANNEL="recording",
        PLANTAO_RECORDING_PATH=str(tmp / "pages.jsonl"),
        PLANTAO_VAR_DIR=str(tmp / "var"),
        PLANTAO_DB_POOL="on",  # as `python -m oncall.config.web` sets it for the web tier
        # The breakdown is of Django's handler (its middleware and view, timed by spans); the
        # ingest lane, which answers in front of them, is measured after it, whole.
        PLANTAO_INGEST_LANE="off",
        PLANTAO_INGEST_GROUP_MS="0",  # one request at a time: nothing to wait for
    )
    if not redis:  # the local-memory cache and the filesystem broker: no server needed
        env.pop("REDIS_URL")
        env.pop("CELERY_BROKER_URL")
    return env


def _integration_path() -> str:
    from incidents.models import Service
    from incidents.services.integrations import integration_create

    _, token = integration_create(
        service=Service.objects.get(name="edge"),
        kind="webhook",
        name="bench-breakdown",
        rate_limit_per_second=RATE_LIMIT,
    )
    return f"/integrations/webhook/{token}/"


async def measure(path: str) -> None:
    from asgiref.sync import sync_to_async

    from oncall.config.asgi import application as plain

    instrumented = instrumented_application()
    harness.bare_route()
    stamp = int(time.time() * 1000)
    figures = {}
    for name, target in (("ingest", path), ("bare", harness.BARE_PATH)):
        await run(plain, target, f"{name}-warm-{stamp}", WARM)
        untimed = await run(plain, target, f"{name}-plain-{stamp}", REQUESTS)
        await run(instrumented, target, f"{name}-warm2-{stamp}", WARM)
        SPANS.requests.clear()
        SPANS.entered.clear()
        with ViewSpans():
            timed_run = await run(instrumented, target, f"{name}-timed-{stamp}", REQUESTS)
        counted = await statements(plain, target, f"{name}-counted-{stamp}")
        timed_run["hops"] = SPANS.entered[HOPS] / max(1, len(SPANS.requests))
        figures[name] = (untimed, timed_run, list(SPANS.requests), counted)
    means = {}
    for name, title in (
        ("ingest", "Single-alert generic webhook, new incident each (distinct dedup keys)"),
        ("bare", "Calibration: the bare one-INSERT view (bench/_harness.py), same stack"),
    ):
        untimed, timed_run, requests, (sql, checks) = figures[name]
        means[name] = table(title, requests, untimed, timed_run)
        print(
            f"  SQL statements per request: {sql:.1f} (BEGIN and COMMIT counted) + {checks:.1f} "
            "connection health check (SELECT 1)"
        )
        print()
    verdict(means["ingest"], means["bare"])
    alone = await sync_to_async(throttle_alone)(path)
    print(
        f"  the rate limit alone on a kept cache connection: {alone:,.0f} µs CPU a check, against "
        f"{means['ingest'].get(THROTTLE, 0.0):,.0f} µs inside a request"
    )
    ratio = figures["bare"][0]["wall"] / figures["ingest"][0]["wall"]
    print(f"  in-process rate, no timers: ingest at {ratio:.0%} of the bare view")
    await lane_measure(path, figures["bare"][0], figures["ingest"][0], stamp)


async def lane_measure(path: str, bare: dict, django: dict, stamp: int) -> None:
    """Post the same alerts through the ingest lane (the web tier's default, built here as
    oncall/config/asgi.py builds it), one at a time: each a group of its own, so this is the
    lane's cost without group commit's sharing of COMMITs."""
    from django.core.asgi import get_asgi_application

    from incidents.views.ingest_lane import ingest_lane
    from oncall.config.gates import body_bounded, development_key_loopback_only

    lane = development_key_loopback_only(body_bounded(ingest_lane(get_asgi_application())))
    await run(lane, path, f"lane-warm-{stamp}", WARM)
    got = await run(lane, path, f"lane-plain-{stamp}", REQUESTS)
    print()
    print(
        "The ingest lane (the web tier's default since issue 23), one request at a time: "
        f"{got['cpu']:,.0f} µs CPU and {got['wall']:,.0f} µs wall a request (Django's handler "
        f"above: {django['cpu']:,.0f} µs CPU, {django['wall']:,.0f} µs wall); in-process rate "
        f"at {bare['wall'] / got['wall']:.0%} of the bare view (Django's handler: "
        f"{bare['wall'] / django['wall']:.0%}); statuses {got['statuses']}"
    )


def main() -> None:
    if not harness.reachable(harness.PG_HOST, harness.PG_PORT):
        print(
            f"PostgreSQL is not reachable on {harness.PG_HOST}:{harness.PG_PORT}; "
            "bench_ingest_breakdown skipped."
        )
        return
    began = time.monotonic()
    redis = harness.reachable("127.0.0.1", 6379, b"PING\r\n", b"+PONG")
    tmp = Path(tempfile.mkdtemp(prefix="plantao-breakdown-"))
    env = _environment(tmp, redis)
    (tmp / "var" / "staticfiles").mkdir(parents=True)  # WhiteNoise warns about a missing one
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    try:
        if redis:
            import redis as redis_client

            redis_client.Redis.from_url(REDIS).flushdb()
        harness.database(DATABASE, create=True)
        harness.demo_load(env, ROOT)

        import django

        django.setup()
        print(
            f"conditions: Python {platform.python_version()}, Django {django.__version__}, "
            f"{os.cpu_count()} CPUs (shared), load average "
            f"{', '.join(f'{n:.2f}' for n in os.getloadavg())}; PostgreSQL "
            f"{harness.PG_HOST}:{harness.PG_PORT}/{DATABASE} (fresh, demo loaded, pooled "
            "connections as the web tier has them); "
            + (
                "Redis db 7 as cache (rate limit, doorbell) and broker (no worker: doorbells "
                "queue up, dropped at the end)"
                if redis
                else "Redis NOT reachable: local-memory cache and filesystem broker instead, so "
                "the rate limit and doorbell figures are not production's"
            )
        )
        print(
            f"  production settings (DEBUG off); one process, Django's ASGI handler called as "
            f"uvicorn calls it, one request at a time; each pass {REQUESTS:,} requests or "
            f"{SECONDS:.0f} s, whichever ends first, after {WARM} warm-up; CPU = this process's "
            "CPU clock (all threads), µs"
        )
        asyncio.run(measure(_integration_path()))
        if redis:
            redis_client.Redis.from_url(REDIS).flushdb()
    finally:
        from django.db import connections

        from incidents.tallies import tallies_forget

        tallies_forget()  # no counts left for a timer to write to the database dropped below
        connections.close_all()
        default = connections["default"]
        if getattr(default, "_connection_pools", {}).get(default.alias) is not None:
            default.close_pool()  # else its worker reconnects to the dropped database
        harness.database(DATABASE, create=False)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"(bench_ingest_breakdown took {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
