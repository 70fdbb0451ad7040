"""Send a plan's requests at their instants over keep-alive HTTP connections from several threads.

Each thread holds one connection and takes the next request due; a request due in the past goes
at once, so a slow server shows as lateness and latency, never as a lost request. Every request
is recorded: when it went, its status and its latency. A 429 is honoured: the driver sends
nothing until its Retry-After has passed, and counts the refused alerts as "throttled" (they are
not sent again, so a throttling server cannot keep a rehearsal running forever).
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ACCEPTED = (200, 201, 202)
# A Retry-After larger than this is cut to it: a rehearsal is not held for minutes.
RETRY_AFTER_MAX = 10.0


@dataclass(frozen=True)
class Request:
    """One planned request: due `at` seconds after the start, `body` carrying `alerts` alerts."""

    at: float
    body: bytes
    alerts: int
    index: int = 0  # its place in the plan


@dataclass(frozen=True)
class Outcome:
    """What happened to one request. `status` is 0 when no HTTP answer came."""

    index: int  # its place in the plan
    due: float  # seconds after the start it was planned for
    sent: float  # seconds after the start it went
    latency: float  # seconds until the whole answer was read
    status: int
    alerts: int
    error: str | None  # None when accepted; else its class: "throttled", "http 500", ...


@dataclass
class Drive:
    """All outcomes of a drive, and the cost of driving it."""

    outcomes: list[Outcome]
    wall_seconds: float
    cpu_seconds: float  # this process's CPU time while driving (every thread)
    started_at: float  # time.time() at the start, for the report

    @property
    def alerts_sent(self) -> int:
        return sum(o.alerts for o in self.outcomes)

    @property
    def alerts_accepted(self) -> int:
        return sum(o.alerts for o in self.outcomes if o.error is None)

    def errors(self) -> dict[str, int]:
        """Return {error class: requests}."""
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            if outcome.error is not None:
                counts[outcome.error] = counts.get(outcome.error, 0) + 1
        return counts

    def active_seconds(self) -> float:
        """Return the seconds from the first request sent to the last answer read."""
        if not self.outcomes:
            return 0.0
        first = min(o.sent for o in self.outcomes)
        last = max(o.sent + o.latency for o in self.outcomes)
        return max(last - first, 1e-9)


def error_class(status: int) -> str | None:
    """Name the error class of an HTTP status, None when the alerts were accepted."""
    if status in ACCEPTED:
        return None
    if status == 429:
        return "throttled"
    return f"http {status}"


def retry_after(value: str | None) -> float:
    """Parse a Retry-After header in seconds (1 s when missing or a date), capped."""
    try:
        seconds = float(value) if value is not None else 1.0
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.0), RETRY_AFTER_MAX)


@dataclass
class _Shared:
    requests: list[Request]
    start: float
    counter: itertools.count = field(default_factory=itertools.count)
    done: int = 0
    hold_until: float = 0.0  # monotonic time before which nothing is sent (after a 429)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _connection(url: str, timeout: float) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    return kind(parts.hostname, parts.port, timeout=timeout)


def _post(connection, path: str, body: bytes) -> tuple[int, str | None]:
    connection.request(
        "POST", path, body, {"Content-Type": "application/json", "Connection": "keep-alive"}
    )
    response = connection.getresponse()
    response.read()
    return response.status, response.getheader("Retry-After")


def _work(shared: _Shared, url: str, path: str, timeout: float, out: list[Outcome]) -> None:
    connection = _connection(url, timeout)
    total = len(shared.requests)
    try:
        while (index := next(shared.counter)) < total:
            request = shared.requests[index]
            wait = max(shared.start + request.at, shared.hold_until) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            sent = time.monotonic()
            try:
                status, after = _post(connection, path, request.body)
            except (OSError, http.client.HTTPException) as error:
                # One fresh connection per failure: a server that closed a keep-alive
                # connection is not an error of the rehearsal's making.
                connection.close()
                connection = _connection(url, timeout)
                status, after = 0, None
                kind = "timeout" if isinstance(error, TimeoutError) else "connection"
            else:
                kind = error_class(status)
            ended = time.monotonic()
            if status == 429:
                hold = ended + retry_after(after)
                with shared.lock:
                    shared.hold_until = max(shared.hold_until, hold)
            out.append(
                Outcome(
                    index=request.index,
                    due=request.at,
                    sent=sent - shared.start,
                    latency=ended - sent,
                    status=status,
                    alerts=request.alerts,
                    error=kind,
                )
            )
            with shared.lock:
                shared.done += 1
    finally:
        connection.close()


def drive(
    *,
    url: str,
    path: str,
    requests: list[Request],
    concurrency: int = 8,
    timeout: float = 30.0,
    progress=None,
) -> Drive:
    """Send `requests` to `url` + `path` at their instants from `concurrency` threads.

    `progress(done, total)` is called from this thread a few times a second.
    """
    started_at = time.time()
    cpu = time.process_time()
    shared = _Shared(requests=requests, start=time.monotonic() + 0.05)
    results: list[list[Outcome]] = [[] for _ in range(concurrency)]
    threads = [
        threading.Thread(target=_work, args=(shared, url, path, timeout, results[n]), daemon=True)
        for n in range(min(concurrency, max(len(requests), 1)))
    ]
    for thread in threads:
        thread.start()
    while alive := [thread for thread in threads if thread.is_alive()]:
        if progress is not None:
            progress(shared.done, len(requests))
        alive[0].join(0.2)
    if progress is not None:
        progress(shared.done, len(requests))
    outcomes = sorted((o for batch in results for o in batch), key=lambda o: o.sent)
    return Drive(
        outcomes=outcomes,
        wall_seconds=time.monotonic() - shared.start,
        cpu_seconds=time.process_time() - cpu,
        started_at=started_at,
    )
