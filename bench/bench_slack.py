"""Slack's requests round trip on the production stack (make bench): figures, never asserts.

Slack gives up on an answer after three seconds; the target here is p99 under 300 ms. Builds its
own PostgreSQL database (plantao_bench_slack, recreated each run, dropped at the end), uses Redis
db 8 as the Celery broker and cache (flushed; no worker runs, so the answers queued for Slack
just wait there), starts the web tier with the production settings as the Procfile does (2 uvicorn
workers), and sends signed requests from asyncio connections in this process:

1. `/oncall` (who is on call now and next, for every schedule of the demo organisation);
2. Acknowledge button presses, each on another triggered incident (the acknowledgement, the
   cancelled pages, the timeline entry and the queued answer: the whole path).

Each first alone on one connection, then on CONNECTIONS connections at once for WINDOW seconds.
Skips (exit 0) when PostgreSQL or Redis is not reachable.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as harness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PG_HOST, PG_PORT, DATABASE = "127.0.0.1", 5432, "plantao_bench_slack"
REDIS = "redis://127.0.0.1:6379/8"
SECRET = "plantao-bench-slack-signing-secret"
USER = "U0BENCH"
CONNECTIONS, WINDOW, ALONE = 8, 10.0, 3.0
INCIDENTS = 8_000  # more than the presses the runs can make: each press acts on a fresh one


def _env(tmp: Path) -> dict:
    return harness.production_env(
        database=DATABASE,
        redis=REDIS,
        tmp=tmp,
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SECRET,
        PLANTAO_CHANNEL="recording",
        PLANTAO_RECORDING_PATH=str(tmp / "pages.jsonl"),
    )


def _organisation(env: dict) -> list[int]:
    """Load the demo, link the Primary on-call person to Slack, open INCIDENTS incidents."""
    harness.demo_load(env, ROOT)
    import django

    django.setup()
    from incidents.models import Incident, Service
    from oncall import clock, selectors
    from oncall.models import ContactMethod, Schedule

    now = clock.now()
    person = selectors.oncall_at(schedule=Schedule.objects.get(name="Primary"), at=now)
    ContactMethod.objects.create(person=person, kind="slack", address=USER, verified_at=now)
    service = Service.objects.get(name="auth")
    Incident.objects.bulk_create(
        Incident(
            service=service,
            dedup_key=f"bench-{n}",
            title=f"Bench incident {n}",
            severity="critical",
            urgency="high",
            created_at=now,
        )
        for n in range(INCIDENTS)
    )
    return list(Incident.objects.order_by("pk").values_list("pk", flat=True))


def _signed(path: str, fields: dict, port: int) -> bytes:
    """Return a whole HTTP request carrying Slack's signature of its body, made now."""
    body = urlencode(fields).encode()
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Slack-Request-Timestamp: {timestamp}\r\nX-Slack-Signature: v0={digest.hexdigest()}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def oncall_requests(port: int):
    fields = {"command": "/oncall", "text": "", "user_id": USER, "team_id": "T0BENCH"}
    request = _signed("/slack/commands/", fields, port)
    while True:
        yield request


def press_requests(port: int, incidents: list[int]):
    for number in incidents:
        payload = {
            "type": "block_actions",
            "user": {"id": USER},
            "response_url": "http://127.0.0.1:9/unused",
            "actions": [{"action_id": "plantao_acknowledge", "value": str(number)}],
        }
        yield _signed("/slack/interactions/", {"payload": json.dumps(payload)}, port)


def _report(label: str, result: dict) -> None:
    latencies = result["latencies"]
    p50, p99 = (harness.percentile(latencies, f) * 1000 for f in (0.5, 0.99))
    rate = len(latencies) / result["elapsed"]
    print(
        f"  {label}: {len(latencies)} requests, {rate:,.0f}/s; round trip p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms, max {max(latencies, default=float('nan')) * 1000:.1f} ms "
        f"(target p99 < 300 ms); statuses {result['statuses']}"
        + (
            f"; {len(result['errors'])} errors, first {result['errors'][0]}"
            if result["errors"]
            else ""
        )
    )


def main() -> None:
    if harness.services_missing("bench_slack"):
        return
    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="plantao-bench-slack-"))
    env = _env(tmp)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import redis as redis_client

    redis = redis_client.Redis.from_url(REDIS)
    redis.flushdb()
    harness.database(DATABASE, create=True)
    web = None
    try:
        incidents = _organisation(env)
        port = harness.free_port()
        web = harness.web_start(port, env=env, cwd=ROOT, log=tmp / "web.log")
        print(
            f"conditions: Python {platform.python_version()}, {os.cpu_count()} CPUs shared by "
            "the web tier (uvicorn as the Procfile starts it, production settings, 2 workers), "
            "PostgreSQL, Redis and this load "
            "process; the demo organisation (17 people, 2 schedules); each request signed "
            "by the load process; no Celery worker"
        )
        presses = press_requests(port, incidents)
        for label, requests in (
            ("/oncall", oncall_requests(port)),
            ("Acknowledge button", presses),
        ):
            print(f"{label}, signed (v0), against the web tier:")
            alone = asyncio.run(harness.closed_loop(port, requests, 1, ALONE))
            _report("1 connection, alone", alone)
            _report(
                f"{CONNECTIONS} connections, {WINDOW:.0f} s",
                asyncio.run(harness.closed_loop(port, requests, CONNECTIONS, WINDOW)),
            )
        from incidents.models import Incident

        acknowledged = Incident.objects.filter(status="acknowledged").count()
        print(f"  ({acknowledged} incidents acknowledged by the presses, each once)")
    finally:
        harness.bench_end(web=web, redis=redis, database_name=DATABASE, tmp=tmp)
    print(f"(bench_slack took {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
