"""Page delivery to a fake Twilio with 1 and 4 workers, and the provider limits (make bench).

Figures, never asserts. Builds its own PostgreSQL database (plantao_bench_delivery, dropped at
the end), uses Redis db 10 as broker and cache, runs the fake Twilio of the tests in this
process (tests/fakes), and Celery workers (prefork) plus beat with the production settings:

1. throughput: NUMBERS people, each the only target of a service of their own, each with one
   verified SMS number; one alert per service at once -> the time until every first SMS reached
   the fake, as texts per second, with 1 and then 4 worker processes, sending from a short code
   (TWILIO_SMS_SEGMENTS_PER_SECOND=100: the engine, not Twilio, is what is measured);
2. limits: BURST alerts per service within a few seconds -> what reached each number over the
   next 75 s: the most texts in any 60 s (the limit: one a minute per number) and how many
   pages the texts carried (the ones held back go out bundled, not dropped);
3. sending number: the same NUMBERS first texts from a long code (one segment a second, the
   default), 4 worker processes -> how fast they left, and the shortest time between two of
   them at the fake (the limit: 1 s; none may be dropped).

`bench_delivery.py throughput limits sending-number` names the parts to run (all by default).
Skips (exit 0) when PostgreSQL or Redis is not reachable.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as harness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_HOST, PG_PORT, DATABASE = "127.0.0.1", 5432, "plantao_bench_delivery"
REDIS = "redis://127.0.0.1:6379/10"
SID, TOKEN, FROM = "AC" + "2" * 32, "bench-twilio-token", "+15005550006"
NUMBERS, BURST, WATCH = 60, 4, 75.0


PARTS = ("throughput", "limits", "sending-number")
SHORT_CODE, LONG_CODE = 100, 1  # SMS segments a second from the sending number


def _env(tmp: Path, fake_base: str, per_second: int) -> dict:
    return harness.production_env(
        database=DATABASE,
        redis=REDIS,
        tmp=tmp,
        PLANTAO_CHANNEL="auto",
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_FROM_NUMBER=FROM,
        TWILIO_API_BASE=fake_base,
        PUBLIC_URL="https://oncall.example.com",
        TWILIO_SMS_SEGMENTS_PER_SECOND=str(per_second),
    )


def _organisation() -> list:
    """NUMBERS people, each with a verified number and a service whose policy pages them."""
    from incidents.models import EscalationPolicy, EscalationStep, EscalationTarget, Service
    from incidents.services.integrations import integration_create
    from oncall import services
    from oncall.models import Team

    team = Team.objects.create(name="Bench")
    integrations = []
    for n in range(NUMBERS):
        person = services.person_create(username=f"p{n}", display_name=f"Person {n}")
        services.team_member_set(team=team, person=person, role="responder")
        sms = services.contact_method_create(
            person=person, kind="sms", address=f"+1212555{n:04d}", verified=True
        )
        services.notification_rule_create(contact_method=sms, delay_minutes=0)
        policy = EscalationPolicy.objects.create(name=f"bench-{n}", team=team, repeat=0)
        step = EscalationStep.objects.create(policy=policy, position=0, escalate_after_minutes=30)
        EscalationTarget.objects.create(step=step, kind="person", person=person)
        service = Service.objects.create(name=f"bench-{n}", team=team, escalation_policy=policy)
        integrations.append(integration_create(service=service, kind="webhook")[0])
    return integrations


def _alerts(integrations, prefix: str) -> None:
    from incidents.ingest.base import AlertEvent
    from incidents.services.alerts import alerts_ingest

    for n, integration in enumerate(integrations):
        event = AlertEvent(action="trigger", dedup_key=f"{prefix}-{n}", title=f"Bench {prefix}")
        alerts_ingest(integration=integration, events=[event], now=datetime.now(UTC))


def _quiesce() -> None:
    from incidents.models import Incident, Page

    Incident.objects.filter(status__in=Incident.OPEN).update(status="resolved", esc_due_at=None)
    Page.objects.filter(state="pending").update(state="cancelled")


def _watch(fake, seconds: float) -> dict[str, float]:
    """Return when each text reached the fake (first seen, polling every 20 ms)."""
    seen: dict[str, float] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for message in list(fake.twilio.messages):
            seen.setdefault(message["sid"], time.monotonic())
        time.sleep(0.02)
    return seen


def _workers(env: dict, tmp: Path, concurrency: int) -> list[harness.Proc]:
    celery = [sys.executable, "-m", "celery", "--app", "oncall.config"]
    worker = harness.Proc(
        "worker",
        [*celery, "worker", "--loglevel", "WARNING", "--concurrency", str(concurrency)],
        env=env,
        cwd=ROOT,
        log=tmp / f"worker-{concurrency}.log",
    )
    beat = harness.Proc(
        "beat", [*celery, "beat", "--loglevel", "WARNING"], env=env, cwd=ROOT, log=tmp / "beat.log"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "ready" not in worker.log.read_text(errors="replace"):
        time.sleep(0.2)
    # --loglevel WARNING hides " ready."; give the pool a moment instead.
    time.sleep(3)
    return [beat, worker]


def _throughput(fake, integrations, concurrency: int) -> None:
    fake.reset()
    started = time.monotonic()
    _alerts(integrations, f"t{concurrency}")
    deadline = started + 120
    while time.monotonic() < deadline and len(fake.twilio.messages) < NUMBERS:
        time.sleep(0.05)
    took = time.monotonic() - started
    got = len(fake.twilio.messages)
    print(
        f"1. throughput [{concurrency} worker process(es)]: {got} of {NUMBERS} first texts at the "
        f"fake Twilio in {took:.2f} s after the alerts -> {got / took:.1f} texts/s"
    )


def _limits(fake, integrations, concurrency: int) -> None:
    fake.reset()
    seen: dict[str, float] = {}
    watcher = threading.Thread(target=lambda: seen.update(_watch(fake, BURST + WATCH)))
    watcher.start()  # watching from the first alert: each text's time is when it arrived
    for burst in range(BURST):
        _alerts(integrations, f"l{concurrency}-{burst}")
        time.sleep(1)
    watcher.join()
    by_number = defaultdict(list)
    for message in fake.twilio.messages:
        if message["sid"] in seen:
            by_number[message["To"]].append(seen[message["sid"]])
    gaps = [
        b - a
        for stamps in by_number.values()
        for a, b in zip(sorted(stamps), sorted(stamps)[1:], strict=False)
    ]
    shortest = min(gaps, default=float("nan"))
    from incidents.models import Page

    since = datetime.now(UTC) - timedelta(seconds=WATCH + BURST + 5)
    carried = Page.objects.filter(state="sent", created_at__gte=since).count()
    texts = len(fake.twilio.messages)
    print(
        f"2. limits [{concurrency} worker process(es)]: {NUMBERS * BURST} pages to {NUMBERS} "
        f"numbers over {BURST} s -> {texts} texts in {WATCH:.0f} s carrying {carried} pages; "
        f"shortest time between two texts to one number: {shortest:.2f} s (limit: 60 s; "
        "first seen by polling the fake every 20 ms)"
    )


def _sending_number(fake, integrations) -> None:
    fake.reset()
    started = time.monotonic()
    _alerts(integrations, "n")
    deadline = started + 2 * NUMBERS + 30
    while time.monotonic() < deadline and len(fake.twilio.messages) < NUMBERS:
        time.sleep(0.05)
    took = time.monotonic() - started
    arrived = sorted(fake.twilio.arrived_at.values())
    gaps = [(b - a).total_seconds() for a, b in zip(arrived, arrived[1:], strict=False)]
    print(
        f"3. sending number [4 worker processes, {LONG_CODE} segment/s]: {len(arrived)} of "
        f"{NUMBERS} texts at the fake in {took:.1f} s -> {len(arrived) / took:.2f} texts/s; "
        f"between two texts: shortest {min(gaps, default=float('nan')):.3f} s, "
        f"median {sorted(gaps)[len(gaps) // 2] if gaps else float('nan'):.3f} s (limit: 1 s)"
    )


def main() -> None:
    if harness.services_missing("bench_delivery"):
        return
    from tests.fakes.providers import FakeProviders

    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="plantao-bench-delivery-"))
    with FakeProviders(twilio_account_sid=SID, twilio_auth_token=TOKEN) as fake:
        env = _env(tmp, fake.twilio_base, SHORT_CODE)
        os.environ.update(env)
        import django
        import redis as redis_client

        redis_client.Redis.from_url(REDIS).flushdb()
        harness.database(DATABASE, create=True)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        django.setup()
        print(
            f"conditions: Python {platform.python_version()}, {os.cpu_count()} CPUs; PostgreSQL "
            f"{DATABASE}, Redis db 10 as broker and cache; Celery prefork workers + beat, "
            "production settings; the fake Twilio (tests/fakes) in this process; one SMS a "
            "minute per number (PLANTAO_SMS_SPACING_SECONDS=60); sending from a short code "
            f"({SHORT_CODE} segments/s) in 1 and 2, a long code ({LONG_CODE}/s) in 3"
        )
        integrations = _organisation()
        procs = []
        try:
            parts = set(sys.argv[1:]) or set(PARTS)
            for concurrency in (1, 4) if parts & {"throughput", "limits"} else ():
                procs = _workers(env, tmp, concurrency)
                if "throughput" in parts:
                    _throughput(fake, integrations, concurrency)
                    _quiesce()
                if "limits" in parts:
                    time.sleep(61)  # every number's minute runs out before the next phase
                    _limits(fake, integrations, concurrency)
                    _quiesce()
                for proc in procs:
                    proc.stop()
                time.sleep(61)
            if "sending-number" in parts:
                procs = _workers(_env(tmp, fake.twilio_base, LONG_CODE), tmp, 4)
                _sending_number(fake, integrations)
                _quiesce()
        finally:
            for proc in procs:
                proc.stop()
            from django.db import connections

            connections.close_all()
            harness.database(DATABASE, create=False)
    print(f"(bench_delivery took {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
