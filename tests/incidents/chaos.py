"""Chaos helpers: run real Celery workers and schedulers, kill them, wait for the engine, count.

Each process starts in its own session, so its process group holds the worker and its pool
children: `os.killpg(pgid, SIGKILL)` kills them all at once, as a crashed machine would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from oncall.channels.recording import sends

BROKER_DB = 5  # the chaos tests' own Redis database: never the 0 and 1 the rest of CI uses
CELERY = (sys.executable, "-m", "celery", "--app", "oncall.config")
ROOT = Path(__file__).resolve().parents[2]

T = TypeVar("T")


def redis_url(db: int = BROKER_DB) -> str:
    """Return the URL of database `db` on the Redis server CI points the suite at."""
    base = os.environ.get("CELERY_BROKER_URL", "")
    if not base.startswith("redis"):
        base = os.environ["REDIS_URL"]
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))


def database_url(name: str) -> str:
    """Return DATABASE_URL with its database swapped for `name` (the test database)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def wait_until(
    probe: Callable[[], T], *, timeout: float, what: str, every: float = 0.2, explain=None
) -> T:
    """Call `probe` until it returns something true and return that; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f"\n{explain()}" if explain else ""
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}{detail}")
        time.sleep(every)


def references(path: str | os.PathLike) -> Counter:
    """Count how often each page reference was sent through the recording channel, alone or
    carried by a text bundling several pages."""
    return Counter(
        reference
        for sent in sends(path)
        for reference in [sent["reference"], *sent.get("also", ())]
    )


@dataclass
class Fleet:
    """The Celery workers and schedulers of one test, started and killed as whole groups."""

    env: dict
    logs: Path
    recording: Path  # the recording channel's file, shared by every process
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def _start(self, name: str, *arguments: str, env: dict | None = None) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [*CELERY, *arguments],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes[name] = process
        return process

    def worker(
        self, name: str, *, concurrency: int = 2, loglevel: str = "WARNING"
    ) -> subprocess.Popen:
        """Start a prefork worker called `name` with `concurrency` pool processes."""
        return self._start(
            name,
            "worker",
            "--hostname",
            f"{name}@%h",
            "--concurrency",
            str(concurrency),
            "--pool",
            "prefork",
            "--loglevel",
            loglevel,
            # Start fast and keep the broker to the tasks: no cluster chatter between workers.
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        )

    def beat(self, name: str, *, loglevel: str = "WARNING") -> subprocess.Popen:
        """Start a scheduler with its own schedule file, as on a second machine."""
        schedule = str(self.logs / f"{name}-schedule")
        return self._start(
            name,
            "beat",
            "--loglevel",
            loglevel,
            "--schedule",
            schedule,
            env={"CELERY_BEAT_SCHEDULE_FILENAME": schedule},
        )

    def kill(self, name: str) -> None:
        """SIGKILL the process group of `name`: the worker and every pool process it forked."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):  # it died already
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def kill_all(self) -> None:
        for name in list(self.processes):
            self.kill(name)

    def check_alive(self) -> None:
        """Fail, with the logs, if a process died that the test did not kill."""
        dead = {n: p.returncode for n, p in self.processes.items() if p.poll() is not None}
        if dead:
            raise AssertionError(f"processes exited on their own: {dead}\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """Return the last lines of every log, for a failure message."""
        out = []
        for log in sorted(self.logs.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {log.name}\n" + "\n".join(tail))
        return "\n".join(out)
