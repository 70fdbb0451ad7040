"""`manage.py rehearse` must not be the bottleneck: its driver must send at least twice the rate
the Plantão web tier accepts here (make bench): figures, never asserts.

(a) The driver alone (incidents/rehearse/driver.py, as the command runs it: threads over
    keep-alive connections) against a sink in another process that answers 202 at once: the
    most alerts a second it sends, and the cores the driver and the sink used.
(b) The real web tier, started as the Procfile starts it (`python -m oncall.config.web`,
    uvicorn, production settings, 2 workers), on PostgreSQL when DATABASE_URL is set (its own
    database <name>_bench_rehearse, dropped afterwards) else on a SQLite file, holding the demo
    and a generic webhook integration, driven by the same driver with single-alert webhooks as
    a steady rehearsal sends them: the alerts a second it accepts, and the cores each side used.

Then the ratio (a) / (b), which must be at least 2. No Celery worker runs: this measures
acceptance (the ingest path), which is what the driver competes with.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _harness as harness  # noqa: E402

from incidents.rehearse import payloads, shapes  # noqa: E402
from incidents.rehearse.driver import Request, drive  # noqa: E402

SINK_ALERTS = 20_000
SERVER_ALERTS = 3_000
CONCURRENCY = 8
ASAP = 1_000_000  # alerts a second asked for when measuring the most a side can do
# The web tier's cache and broker when on PostgreSQL: REDIS_URL's database (flushed at the end).
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5")
RESPONSE = (
    b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n"
    b'{"status": "accepted"}'
)


# --- the sink: a process answering 202 at once ---------------------------------------------------


async def _answer(reader, writer) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length:\s*(\d+)", head)
            if length:
                await reader.readexactly(int(length.group(1)))
            writer.write(RESPONSE)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _sink(port: int) -> None:
    server = await asyncio.start_server(_answer, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


# --- the measurements ----------------------------------------------------------------------------


def _requests(count: int, prefix: str) -> list[Request]:
    plan = shapes.plan(shape="steady", alerts=count, rate=ASAP, prefix=prefix)
    return [
        Request(at=s.at, body=payloads.webhook_body(s.keys[0]), alerts=1, index=i)
        for i, s in enumerate(plan)
    ]


def _measure(url: str, path: str, count: int, groups: dict[str, int], prefix: str):
    """Drive `count` alerts as fast as they go; return (drive, cores line)."""
    requests = _requests(count, prefix)
    before = harness.cpu_snapshot(groups, DATABASE)
    started = time.monotonic()
    done = drive(url=url, path=path, requests=requests, concurrency=CONCURRENCY)
    seconds = time.monotonic() - started
    cores = harness.cpu_delta(
        before, harness.cpu_snapshot(groups, DATABASE), seconds, {"driver": done.cpu_seconds}
    )
    return done, cores


def _line(done) -> str:
    rate = done.alerts_accepted / done.active_seconds()
    latencies = sorted(o.latency for o in done.outcomes)
    return (
        f"{done.alerts_accepted}/{done.alerts_sent} accepted in {done.active_seconds():.1f} s: "
        f"{rate:,.0f} alerts/s; HTTP p50 {harness.percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {harness.percentile(latencies, 0.99) * 1000:.1f} ms; errors {done.errors() or 0}"
    )


def sink_rate(tmp: Path) -> float:
    port = harness.free_port()
    sink = harness.Proc(
        "sink",
        [sys.executable, __file__, "--sink", str(port)],
        env=os.environ.copy(),
        cwd=ROOT,
        log=tmp / "sink.log",
    )
    try:
        deadline = time.monotonic() + 10
        while not harness.reachable("127.0.0.1", port) and time.monotonic() < deadline:
            time.sleep(0.05)
        done, cores = _measure(
            f"http://127.0.0.1:{port}", "/in/", SINK_ALERTS, {"sink": sink.pid}, "sink"
        )
    finally:
        sink.stop()
    print(f"(a) driver alone, {CONCURRENCY} threads, against a 202 sink: {_line(done)}")
    print(f"    {cores}")
    return done.alerts_accepted / done.active_seconds()


def _server_env(tmp: Path) -> tuple[dict, str]:
    """Return the web tier's environment and a label: PostgreSQL when DATABASE_URL is set."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        env = harness.production_env(database=DATABASE, redis=REDIS, tmp=tmp)
        return env, f"PostgreSQL (database {DATABASE}), Redis {urlsplit(REDIS).path}"
    env = harness.production_env(database=DATABASE, redis="memory://", tmp=tmp)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'plantao.sqlite3'}",
        CELERY_BROKER_URL="filesystem://",
        PLANTAO_VAR_DIR=str(tmp / "var"),
    )
    env.pop("REDIS_URL")
    return env, "SQLite (a file), no Redis"


def server_rate(tmp: Path) -> float:
    env, label = _server_env(tmp)
    postgres = env["DATABASE_URL"].startswith("postgres")
    if postgres:
        harness.database(DATABASE, create=True)
    web = None
    try:
        harness.demo_load(env, ROOT)
        created = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "integration",
                "create",
                "--service",
                "edge",
                "--kind",
                "webhook",
                "--name",
                "bench-rehearse",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        path = urlsplit(re.search(r"URL:\s+(\S+)", created).group(1)).path
        port = harness.free_port()
        web = harness.web_start(port, env=env, cwd=ROOT, log=tmp / "web.log", workers=2)
        url = f"http://127.0.0.1:{port}"
        _measure(url, path, 200, {"web": web.pid}, "warm")  # warm the workers and caches
        done, cores = _measure(url, path, SERVER_ALERTS, {"web": web.pid}, "server")
    finally:
        if web is not None:
            web.stop()
        if postgres:
            harness.database(DATABASE, create=False)
            import redis

            redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
    print(f"(b) the web tier (Procfile, 2 uvicorn workers) on {label}: {_line(done)}")
    print(f"    {cores}")
    return done.alerts_accepted / done.active_seconds()


def _database_name() -> str:
    url = os.environ.get("DATABASE_URL", "")
    base = urlsplit(url).path.strip("/") if url.startswith("postgres") else "plantao"
    return f"{base or 'plantao'}_bench_rehearse"


DATABASE = _database_name()


def main() -> None:
    print(f"rehearse driver vs server: {os.cpu_count()} cores on this machine (shared)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-rehearse-"))
    try:
        most = sink_rate(tmp)
        accepted = server_rate(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ratio = most / accepted if accepted else float("inf")
    verdict = "holds" if ratio >= 2 else "DOES NOT HOLD"
    print(
        f"driver {most:,.0f} alerts/s vs server {accepted:,.0f} alerts/s: ratio {ratio:.1f} "
        f"(target >= 2: {verdict})"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--sink":
        asyncio.run(_sink(int(sys.argv[2])))
    else:
        main()
