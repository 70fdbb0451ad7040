"""Plumbing for the whole-system benchmarks: processes, CPU accounting and an HTTP load generator.

The load generator runs as its own process (`python bench/_harness.py SPEC.json OUT.json`) so that
its CPU can be measured apart from everything else and it never shares a GIL with the harness.
It is asyncio over raw streams: one coroutine per connection, HTTP/1.1 keep-alive when the server
allows it (the client reconnects when the server closes).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


# --- services and processes -------------------------------------------------------------------


def reachable(host: str, port: int, probe: bytes | None = None, expect: bytes = b"") -> bool:
    """Return whether a TCP service answers (and, given a probe, answers with `expect`)."""
    try:
        with socket.create_connection((host, port), timeout=2) as sock:
            if probe is None:
                return True
            sock.sendall(probe)
            return sock.recv(64).startswith(expect)
    except OSError:
        return False


PG_HOST, PG_PORT = "127.0.0.1", 5432


def services_missing(bench: str) -> bool:
    """Say (and return True) when PostgreSQL or Redis is not there: the bench skips, exit 0."""
    if not reachable(PG_HOST, PG_PORT):
        print(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}; {bench} skipped.")
        return True
    if not reachable("127.0.0.1", 6379, b"PING\r\n", b"+PONG"):
        print(f"Redis is not reachable on 127.0.0.1:6379; {bench} skipped.")
        return True
    return False


def database(name: str, *, create: bool) -> None:
    """Drop the bench's own PostgreSQL database `name` (closing its connections), and make it
    again, empty, when `create`."""
    import psycopg

    dsn = {"host": PG_HOST, "port": PG_PORT, "user": "postgres", "dbname": "postgres"}
    with psycopg.connect(**dsn, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if create:
            connection.execute(f"CREATE DATABASE {name}")


def production_env(*, database: str, redis: str, tmp: Path, **extra: str) -> dict:
    """The environment of a bench's processes: this one's, without what would change the figures,
    plus production settings on the bench's own database and Redis, and `extra`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PLANTAO_SWEEP_SECONDS", "WEB_CONCURRENCY", "LOG_LEVEL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="oncall.config.settings.production",
        DEBUG="off",
        SECRET_KEY="plantao-bench-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_COOKIES="off",
        DATABASE_URL=f"postgres://postgres@{PG_HOST}:{PG_PORT}/{database}",
        CELERY_BROKER_URL=redis,
        REDIS_URL=redis,
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp / "celerybeat-schedule"),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def demo_load(env: dict, cwd: Path) -> None:
    """Migrate the bench database and load the demo organisation into it, in processes of
    their own with `env`."""
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=cwd, env=env, check=True)
    subprocess.run(
        [*manage, "demo", "--force"], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL
    )


def each_database(script: str, *, root: Path, database_name: str, env_for, prefix: str) -> None:
    """Run `script` once on SQLite and once on PostgreSQL (when reachable), each in a process of
    its own over a fresh database holding the demo; `env_for(kind, tmp)` gives its environment.
    The PostgreSQL database is dropped afterwards, the temporary folder removed."""
    backends = [("SQLite", "sqlite")]
    if reachable(PG_HOST, PG_PORT):
        backends.append(("PostgreSQL", "postgres"))
    else:
        print(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}: SQLite only.", flush=True)
    for label, kind in backends:
        tmp = Path(tempfile.mkdtemp(prefix=prefix))
        env = env_for(kind, tmp)
        try:
            if kind == "postgres":
                database(database_name, create=True)
            demo_load(env, root)
            subprocess.run([sys.executable, script, label], cwd=root, env=env, check=True)
        finally:
            if kind == "postgres":
                database(database_name, create=False)
            shutil.rmtree(tmp, ignore_errors=True)


def bench_incident(n: int, *, status: str, service_ids: list[int], created):
    """Return the unsaved incident number `n` of a made-up history, `status`, created at
    `created` (acknowledged then, resolved 5 minutes later when resolved)."""
    from incidents.models import Incident

    return Incident(
        service_id=service_ids[n % len(service_ids)],
        dedup_key=f"bench-{n}",
        title=f"Bench incident {n}: p99 latency above 2 s on edge-{n % 40}",
        severity="critical" if n % 3 == 0 else "warning",
        urgency="high" if n % 3 == 0 else "low",
        status=status,
        created_at=created,
        acknowledged_at=created if status != "triggered" else None,
        resolved_at=created + timedelta(minutes=5) if status == "resolved" else None,
    )


def midday_zone(now: datetime) -> str:
    """Return a zone where it is about noon now: the figures do not change with the hour the
    bench runs at (a page in sleep hours also asks whether the person's rest is protected)."""
    ahead = 12 - now.hour  # hours ahead of UTC, -11 to 12
    return "UTC" if ahead == 0 else f"Etc/GMT{'-' if ahead > 0 else '+'}{abs(ahead)}"


def paging_organisation(people: int, prefix: str = "bench") -> list[tuple]:
    """`people` people, each with a verified e-mail and a service whose policy pages them only
    (so every incident pages somebody else); return each service's webhook integration with
    its token. Made in bulk: a few statements whatever the size."""
    from django.contrib.auth import get_user_model

    from incidents.models import (
        EscalationPolicy,
        EscalationStep,
        EscalationTarget,
        Integration,
        Service,
    )
    from incidents.models.integrations import token_digest
    from oncall.models import ContactMethod, NotificationRule, Person, Team

    now = datetime.now(UTC)
    team = Team.objects.create(name=prefix.title(), slug=prefix)
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"{prefix}-p{n}") for n in range(people)
    )
    persons = Person.objects.bulk_create(
        Person(user=user, display_name=f"Person {n}", time_zone=midday_zone(now))
        for n, user in enumerate(users)
    )
    methods = ContactMethod.objects.bulk_create(
        ContactMethod(person=p, kind="email", address=f"{prefix}-p{n}@example.com", verified_at=now)
        for n, p in enumerate(persons)
    )
    NotificationRule.objects.bulk_create(
        NotificationRule(person=p, contact_method=m, delay_minutes=0)
        for p, m in zip(persons, methods, strict=True)
    )
    policies = EscalationPolicy.objects.bulk_create(
        EscalationPolicy(name=f"{prefix}-{n}", team=team) for n in range(people)
    )
    steps = EscalationStep.objects.bulk_create(
        EscalationStep(policy=p, position=0, escalate_after_minutes=30) for p in policies
    )
    EscalationTarget.objects.bulk_create(
        EscalationTarget(step=s, kind="person", person=p)
        for s, p in zip(steps, persons, strict=True)
    )
    services = Service.objects.bulk_create(
        Service(name=f"{prefix}-{n}", team=team, escalation_policy=p)
        for n, p in enumerate(policies)
    )
    tokens = [f"{prefix}-token-{s.pk}" for s in services]
    integrations = Integration.objects.bulk_create(
        Integration(
            service=s,
            kind="webhook",
            token_digest=token_digest(token),
            token_hint="bench",
            rate_limit_per_second=1_000_000,
        )
        for s, token in zip(services, tokens, strict=True)
    )
    return list(zip(integrations, tokens, strict=True))


def first_pages(path: Path, wanted: set[int]) -> dict[int, float]:
    """Return, per incident in `wanted`, when its first page was handed to the recording channel
    writing to `path` (other messages there, a notice, are not pages)."""
    from incidents.models import Page

    sends = []
    if path.exists():
        sends = [json.loads(line) for line in path.read_bytes().split(b"\n")[:-1]]
    at = {
        int(s["reference"].removeprefix("page-")): s["at"]
        for s in sends
        if s["reference"].startswith("page-")
    }
    owner = dict(Page.objects.filter(pk__in=list(at)).values_list("pk", "incident_id"))
    first: dict[int, float] = {}
    for page, when in at.items():
        incident = owner.get(page)
        if incident in wanted:
            stamp = datetime.fromisoformat(when).timestamp()
            first[incident] = min(first.get(incident, stamp), stamp)
    return first


def bench_end(*, web, redis, database_name: str, tmp: Path) -> None:
    """Stop the web tier if it runs, close this process's connections, and leave nothing of the
    bench behind: its Redis database flushed, its PostgreSQL database dropped, its files gone."""
    if web is not None:
        web.stop()
    from django.db import connections

    connections.close_all()
    redis.flushdb()
    database(database_name, create=False)
    shutil.rmtree(tmp, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Proc:
    """A process the benchmark started, in a session of its own so that stopping it by its id
    also stops the children it forked (web and Celery workers)."""

    def __init__(self, name: str, argv: list[str], *, env: dict, cwd: Path, log: Path):
        self.name = name
        self.log = log
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(
                argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_for_log(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive():
            if text in self.log.read_text(errors="replace"):
                return True
            time.sleep(0.1)
        return False

    def stop(self, grace: float = 10) -> None:
        """Stop the process group this object started: TERM, then KILL after `grace` seconds."""
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.pid, signal.SIGTERM)
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(5)
        except ProcessLookupError:
            pass


HEALTH_PROBE = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def web_start(
    port: int, *, env: dict, cwd: Path, log: Path, workers: int = 2, app: str | None = None
) -> Proc:
    """Start the web tier as the Procfile does (`python -m oncall.config.web`, uvicorn) on
    127.0.0.1:`port` with `workers` processes and no access log; return once /healthz answers.

    `app`, a "module:factory" in bench/, replaces the project's application (calibration).
    """
    env = {
        **env,
        "BIND_ADDRESS": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "WEB_ACCESS_LOG": "off",  # production logs every request; here it would skew the figures
    }
    argv = [sys.executable, "-m", "oncall.config.web"]
    if app is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), str(cwd)]))
        argv = [
            sys.executable,
            "-c",
            f"from oncall.config.web import main; main(app={app!r}, factory=True)",
        ]
    web = Proc("web", argv, env=env, cwd=cwd, log=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and web.alive():
        if reachable("127.0.0.1", port, HEALTH_PROBE, b"HTTP/1.1 200"):
            return web
        time.sleep(0.2)
    web.stop()
    raise RuntimeError(f"the web server did not start:\n{log.read_text()[-2000:]}")


def _stat(pid: int) -> tuple[int, int] | None:
    """Return (cpu ticks, process group) of a live process, None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12]), int(fields[2])


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace").replace("\0", " ")
    except OSError:
        return ""


def _machine_busy() -> float:
    """Return the CPU seconds the whole machine has spent busy (not idle, not waiting on I/O)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / TICKS


def cpu_snapshot(groups: dict[str, int], database: str) -> dict:
    """Return the CPU ticks of every process of ours, by party, and the machine's busy seconds.

    Parties: the process groups Proc started; "postgres", the server processes serving
    `database`; "redis", the Redis server (shared). Processes are read, never touched.
    """
    pids = {}
    by_group = {pgid: name for name, pgid in groups.items()}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _stat(int(entry))
        if stat is None:
            continue
        ticks, pgid = stat
        if pgid in by_group:
            pids[int(entry)] = (by_group[pgid], ticks)
            continue
        comm = _read(f"/proc/{entry}/comm").strip()
        if comm.startswith("postgres") and f" {database} " in _read(f"/proc/{entry}/cmdline"):
            pids[int(entry)] = ("postgres", ticks)
        elif comm.startswith("redis-server"):
            pids[int(entry)] = ("redis", ticks)
    return {"pids": pids, "busy": _machine_busy()}


def cpu_delta(before: dict, after: dict, seconds: float, extra: dict[str, float]) -> str:
    """Format the cores each party used between two snapshots, and what the rest of the machine
    (other people's jobs on this shared box) took meanwhile. `extra`: CPU seconds of children
    measured otherwise (the load generator)."""
    used: dict[str, float] = {}
    for pid, (party, ticks) in after["pids"].items():
        _, earlier = before["pids"].get(pid, (party, 0))
        used[party] = used.get(party, 0.0) + (ticks - earlier) / TICKS
    used.update(extra)
    machine = after["busy"] - before["busy"]
    others = max(0.0, machine - sum(used.values()))
    parts = [f"{party} {cpu / seconds:.2f}" for party, cpu in used.items() if cpu / seconds >= 0.01]
    return (
        f"cores used: {', '.join(parts)}; other processes on the machine {others / seconds:.2f}; "
        f"machine busy {machine / seconds:.2f} of {os.cpu_count()}"
    )


# --- a bare Django view, for calibration ---------------------------------------------------------

BARE_PATH = "/bench/bare/"


def bare_route() -> None:
    """Add, in this process only, a bare view that stores the body with one INSERT.

    The issue quotes ~1,770 requests/s for such a view on its machine; measuring it here, on this
    machine and under the same noise, says how this machine compares.
    """
    from django.http import JsonResponse
    from django.urls import clear_url_caches, path
    from django.views.decorators.csrf import csrf_exempt

    from incidents.models import Alert
    from oncall import clock
    from oncall.config import urls

    @csrf_exempt
    def bare(request):
        body = json.loads(request.body)
        alert = Alert.objects.create(
            action="trigger", dedup_key=body["dedup_key"], payload=body, received_at=clock.now()
        )
        return JsonResponse({"id": alert.pk}, status=202)

    if not any(getattr(p, "name", "") == "bench-bare" for p in urls.urlpatterns):
        urls.urlpatterns.insert(0, path(BARE_PATH.lstrip("/"), bare, name="bench-bare"))
        clear_url_caches()


def bare_app():
    """Return the project's ASGI application plus the bare view (for `_harness:bare_app`)."""
    from oncall.config.asgi import application

    bare_route()
    return application


# --- statistics ---------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of `values` (NaN when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[rank]


# --- the load generator -------------------------------------------------------------------------

ALERTMANAGER_FIXTURE = Path(
    "/work/shared/fixtures/alertmanager-0.25/webhook-firing-two-alerts.json"
)
ALERTMANAGER_ALERT = {
    "status": "firing",
    "labels": {
        "alertname": "PlaybackErrorRateHigh",
        "instance": "playback-0000",
        "region": "eu-west-1",
        "service": "playback",
        "severity": "critical",
    },
    "annotations": {
        "description": "5xx ratio is 2.7% on playback in eu-west-1",
        "summary": "Playback 5xx above 2% for 5 minutes",
    },
    "startsAt": "2026-11-26T11:01:15.309663574Z",
    "endsAt": "0001-01-01T00:00:00Z",
    "generatorURL": "http://prometheus.example.org/graph?g0.expr=rate",
    "fingerprint": "FINGERPRINT",
}


def alertmanager_template(size: int) -> tuple[str, str, str]:
    """Return (head, alert, tail) to build a `size`-alert Alertmanager body by string joining.

    The envelope is the captured Alertmanager 0.25 fixture's, when it is there; each alert is
    shaped like the fixture's and differs only by fingerprint and instance.
    """
    envelope = {
        "receiver": "hook",
        "status": "firing",
        "alerts": ["ALERTS"],
        "groupLabels": {"alertname": "PlaybackErrorRateHigh", "service": "playback"},
        "commonLabels": {"alertname": "PlaybackErrorRateHigh", "service": "playback"},
        "commonAnnotations": {"summary": "Playback 5xx above 2% for 5 minutes"},
        "externalURL": "http://alertmanager.example.org:9093",
        "version": "4",
        "groupKey": '{}/{}:{alertname="PlaybackErrorRateHigh", service="playback"}',
        "truncatedAlerts": 0,
    }
    if ALERTMANAGER_FIXTURE.exists():
        captured = json.loads(ALERTMANAGER_FIXTURE.read_text())
        envelope.update({k: v for k, v in captured.items() if k != "alerts"})
        envelope["alerts"] = ["ALERTS"]
    head, tail = json.dumps(envelope).split('"ALERTS"')
    alert = json.dumps(ALERTMANAGER_ALERT).replace("playback-0000", "playback-INSTANCE")
    return head, alert, tail


def _body(spec: dict, index: int, template) -> bytes:
    kind, prefix = spec["kind"], spec["prefix"]
    if kind == "webhook":
        key = f"{prefix}-{index}"
    elif kind == "storm":
        # 95% of the alerts repeat one key; every twentieth is new.
        key = f"{prefix}-{index}" if index % 20 == 0 else f"{prefix}-storm"
    else:
        head, alert, tail = template
        alerts = ",".join(
            alert.replace("FINGERPRINT", f"{prefix}{index:06d}{n:03d}").replace(
                "INSTANCE", f"{n:04x}"
            )
            for n in range(spec["batch"])
        )
        return (head + alerts + tail).encode()
    return json.dumps(
        {"title": f"Bench alert {key}", "status": "firing", "dedup_key": key}
    ).encode()


async def _exchange(state: dict, request: bytes) -> tuple[int, bool, bytes]:
    """Send one request on the connection in `state` (opening it if needed); return the answer."""
    if state.get("writer") is None:
        state["reader"], state["writer"] = await asyncio.open_connection(
            state["host"], state["port"]
        )
    reader, writer = state["reader"], state["writer"]
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            close = True
    body = await reader.readexactly(length) if length else b""
    if close:
        writer.close()
        state["writer"] = None
    return status, close, body


async def closed_loop(port: int, requests, connections: int, seconds: float) -> dict:
    """Send `requests` on `connections` keep-alive connections, each waiting for its answer
    before the next, for `seconds`; return latencies and statuses."""
    deadline = time.monotonic() + seconds
    latencies, statuses, errors = [], {}, []

    async def connection() -> None:
        state = {"host": "127.0.0.1", "port": port, "writer": None}
        for request in requests:
            if time.monotonic() >= deadline:
                break
            sent = time.monotonic()
            try:
                status, _, _ = await _exchange(state, request)
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                errors.append(repr(error))
                state["writer"] = None
                continue
            latencies.append(time.monotonic() - sent)
            statuses[status] = statuses.get(status, 0) + 1
        if state.get("writer") is not None:
            state["writer"].close()

    started = time.monotonic()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return {
        "latencies": latencies,
        "statuses": statuses,
        "errors": errors,
        "elapsed": time.monotonic() - started,
    }


async def _run(spec: dict) -> dict:
    host, port = spec["host"], spec["port"]
    template = (
        alertmanager_template(spec.get("batch", 0)) if spec["kind"] == "alertmanager" else None
    )
    # One path, or several taken in turn (request n goes to paths[n % len(paths)]).
    heads = [
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/json\r\nUser-Agent: plantao-bench\r\n"
        for path in spec.get("paths") or [spec["path"]]
    ]
    rate, duration, limit = spec.get("rate"), spec["duration"], spec["max_requests"]
    want_body = spec.get("want_body", False)
    counter = iter(range(limit))
    started = time.monotonic()
    wall_offset = time.time() - started
    deadline = started + duration
    latencies, statuses, records, completed = [], {}, [], []
    errors = {"count": 0, "first": ""}

    async def connection() -> None:
        state = {"host": host, "port": port, "writer": None}
        for index in counter:
            if rate:
                due = started + index / rate
                if due >= deadline:
                    return
                if due > time.monotonic():
                    await asyncio.sleep(due - time.monotonic())
            elif time.monotonic() >= deadline:
                return
            body = _body(spec, index, template)
            head = heads[index % len(heads)]
            request = (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
            sent = time.monotonic()
            try:
                status, _, answer = await _exchange(state, request)
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                errors["count"] += 1
                errors["first"] = errors["first"] or repr(error)
                if state.get("writer") is not None:
                    state["writer"].close()
                state["writer"] = None
                continue
            done = time.monotonic()
            latencies.append(done - sent)
            statuses[status] = statuses.get(status, 0) + 1
            if 200 <= status < 300:
                completed.append(done - started)
            if want_body:
                records.append([index, status, done + wall_offset, answer.decode()])
        if state.get("writer") is not None:
            state["writer"].close()

    tasks = [asyncio.ensure_future(connection()) for _ in range(spec["connections"])]
    # Stragglers get a grace period, then are counted as unfinished: every run is bounded.
    _, pending = await asyncio.wait(tasks, timeout=duration + spec.get("grace", 10))
    for task in pending:
        task.cancel()
    return {
        "unfinished": len(pending),
        "elapsed": time.monotonic() - started,
        "latencies": latencies,
        "completed": completed,
        "statuses": statuses,
        "errors": errors,
        "records": records,
    }


def load(spec: dict, workdir: Path) -> dict:
    """Run the load generator in its own process; add the CPU seconds it used to its result."""
    spec_path, out_path = workdir / "load-spec.json", workdir / "load-out.json"
    spec_path.write_text(json.dumps(spec))
    process = subprocess.Popen([sys.executable, __file__, str(spec_path), str(out_path)])
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("the load generator failed")
    result = json.loads(out_path.read_text())
    result["cpu"] = usage.ru_utime + usage.ru_stime
    return result


if __name__ == "__main__":
    spec_file, out_file = sys.argv[1:3]
    outcome = asyncio.run(_run(json.loads(Path(spec_file).read_text())))
    Path(out_file).write_text(json.dumps(outcome))
