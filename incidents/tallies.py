"""Counters and histograms for /metrics that any web process can answer (incidents.models.Tally).

Each process adds to rows of its own, keyed by `hostname:pid:start`, so no two processes ever
write the same row; the scrape sums every row of a metric, which is why a restart (a new key,
the old rows kept) never makes a counter go down.

- Ingest requests by outcome are counted in memory and written at most once a second, after a
  response, as one additive upsert (`tallies_add`): nothing on the request's own path.
- The alert-to-first-page latency is recorded when the incident's first page is sent, in the
  same transaction that sets `Incident.first_paged_at`, so the two can never disagree.

A histogram is kept as one row per bucket holding the observations that fell in it (not yet
cumulative) and their sum; the scrape makes the buckets cumulative. A scrape reads one grouped
query over the Tally rows, whatever the number of incidents.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime, timedelta
from functools import wraps

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum

from incidents.models import Incident, Integration, Tally
from incidents.rows import rows_update
from oncall import clock

log = logging.getLogger(__name__)

INGEST = "ingest_requests"
INGEST_COMMITS = "ingest_commits"  # count: commits of the ingest lane; total: the writes in them
FIRST_PAGE = "alert_to_first_page_seconds"
FIRST_PAGE_BUCKETS = (0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, math.inf)
OUTCOMES = (
    "accepted",
    "deduplicated",
    "invalid",
    "unauthorized",
    "too_large",
    "rate_limited",
    "error",
)
INTEGRATIONS = tuple(Integration.Kind.values)
RETIRED = "retired"  # the rows of processes long gone, folded into one (tallies_compact)
COMPACT_BATCH = 5_000


def le_label(edge: float) -> str:
    """Return Prometheus's spelling of a bucket's upper bound: 0.25, 1.0, +Inf."""
    return "+Inf" if math.isinf(edge) else repr(float(edge))


def bucket_of(seconds: float) -> str:
    """Return the label of the smallest bucket holding `seconds` (an upper bound is inclusive)."""
    return le_label(next(edge for edge in FIRST_PAGE_BUCKETS if seconds <= edge))


def outcome_of(status: int) -> str:
    """Return the outcome an ingest response's status says, when the view said nothing more."""
    if status < 300:
        return "accepted"
    if status == 413:
        return "too_large"
    if status == 429:
        return "rate_limited"
    if status in (401, 403, 404):
        return "unauthorized"
    if status < 500:
        return "invalid"
    return "error"


def process_key() -> str:
    """Return this process's own key: a forked child, or a restart, gets a new one."""
    started = int(time.time() * 1000)
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{started}"


def tallies_add(rows: Iterable[tuple[str, str, int, float]], *, process: str, now: datetime):
    """Add (metric, label, count, total) to `process`'s rows: one INSERT … ON CONFLICT."""
    rows = list(rows)
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(Tally._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(now)
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(rows))
    params = [p for metric, label, n, total in rows for p in (metric, label, process, n, total, at)]
    # Only the table's own name and placeholders are formatted in; every value is a parameter.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (metric, label, process, count, total, updated_at) "  # noqa: S608
            f"VALUES {values} ON CONFLICT (metric, label, process) DO UPDATE SET "
            f"count = {table}.count + excluded.count, total = {table}.total + excluded.total, "
            "updated_at = excluded.updated_at",
            params,
        )


class Accumulator:
    """What this process counted since it last wrote, written at most every
    PLANTAO_TALLY_FLUSH_SECONDS (after a response, or by a timer if no response comes)."""

    def __init__(self, process: str | None = None):
        self._fixed = process
        self.forget()

    def forget(self) -> None:
        """Drop what is pending and take a fresh key (a forked child must not share its
        parent's rows nor write its parent's counts a second time)."""
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], list] = {}
        self._flushed_at = -math.inf
        self._timer: threading.Timer | None = None
        self.process = self._fixed or process_key()

    def add(self, metric: str, label: str, value: float = 0.0, count: int = 1) -> None:
        with self._lock:
            counted = self._pending.setdefault((metric, label), [0, 0.0])
            counted[0] += count
            counted[1] += value

    def flush(self) -> int:
        """Write what is pending now; return how many rows. A failed write is kept for later."""
        with self._lock:
            pending, self._pending = self._pending, {}
            self._flushed_at = time.monotonic()
        if not pending:
            return 0
        rows = [(metric, label, n, total) for (metric, label), (n, total) in pending.items()]
        try:
            tallies_add(rows, process=self.process, now=clock.now())
        except DatabaseError:
            log.warning("Could not write the ingest counters; kept for the next try.")
            with self._lock:
                for key, (n, total) in pending.items():
                    counted = self._pending.setdefault(key, [0, 0.0])
                    counted[0] += n
                    counted[1] += total
        return len(rows)

    def flush_due(self, **kwargs) -> None:
        """Write if the last write is a flush interval old; else make sure a timer will."""
        interval = settings.PLANTAO_TALLY_FLUSH_SECONDS
        wait = self._flushed_at + interval - time.monotonic()
        if wait <= 0:
            self.flush()
            return
        with self._lock:
            if not self._pending or self._timer is not None:
                return
            self._timer = threading.Timer(wait, self._flush_later)
            self._timer.daemon = True
            self._timer.start()

    def _flush_later(self) -> None:
        try:
            with self._lock:
                self._timer = None
            self.flush()
        finally:
            connection.close()  # this thread's own connection


ACCUMULATOR = Accumulator()


def _at_exit() -> None:
    # A process on its way out (its database may be gone first): nothing left to tell anyone.
    with suppress(Exception):
        ACCUMULATOR.flush()


def connect() -> None:
    """Write pending counts after each response and at exit; start afresh in a forked child."""
    from django.core.signals import request_finished

    request_finished.connect(ACCUMULATOR.flush_due, dispatch_uid="plantao-tallies-flush")
    atexit.register(_at_exit)


os.register_at_fork(after_in_child=ACCUMULATOR.forget)


def tallies_forget() -> None:
    """Drop what this process counted and has not written (tests: each test's database)."""
    ACCUMULATOR.forget()


def ingest_count(kind: str, response) -> None:
    """Count one ingest request of integration `kind` by its outcome (None: it failed, a 500)."""
    if response is None:
        ACCUMULATOR.add(INGEST, f"error:{kind}")
        return
    outcome = getattr(response, "ingest_outcome", None) or outcome_of(response.status_code)
    ACCUMULATOR.add(INGEST, f"{outcome}:{kind}")


def ingest_commits_count(commits: int, writes: int) -> None:
    """Count what a group of the ingest lane committed: `commits` transactions holding `writes`
    requests' writes (services/group_commit.py)."""
    if commits:
        ACCUMULATOR.add(INGEST_COMMITS, "", writes, count=commits)


def ingest_counted(integration: str | None = None):
    """Count each request to the decorated ingest view by its outcome and integration kind
    (`integration`, or the view's `kind` argument). A view may name the outcome itself by
    setting `response.ingest_outcome` (deduplicated, or an unknown PagerDuty routing key)."""

    def decorate(view):
        @wraps(view)
        def counted(request, *args, **kwargs):
            kind = integration or kwargs.get("kind", "")
            try:
                response = view(request, *args, **kwargs)
            except Exception:
                ingest_count(kind, None)
                raise
            ingest_count(kind, response)
            return response

        return counted

    return decorate


def first_pages_record(*, sent: dict[int, datetime]) -> set[int]:
    """Set first_paged_at of each incident of `sent` (incident id -> when a page of it was
    sent) that had no page sent before, and record the seconds since its first alert in the
    histogram: three statements whatever their number. Return the incidents whose first page
    this was."""
    # No savepoint of its own inside the caller's transaction: nothing here is to be undone alone.
    with transaction.atomic(savepoint=False):
        # Locked in id order first: two senders recording pages of the same incidents never
        # wait on each other in a circle (an UPDATE of many rows locks them in no set order).
        unpaged = {
            pk: (created_at, kind)
            for pk, created_at, kind in Incident.objects.select_for_update(no_key=True)
            .filter(pk__in=list(sent), first_paged_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "created_at", "kind")
        }
        first = rows_update(
            Incident,
            fields=["id", "first_paged_at"],
            rows=[(pk, sent[pk]) for pk in unpaged],
            where="first_paged_at IS NULL",
        )
        if not first:
            return first
        counts: dict[str, list] = {}
        for pk in first:
            created_at, kind = unpaged[pk]
            seconds = max(0.0, (sent[pk] - created_at).total_seconds())
            counted = counts.setdefault(f"{kind}:{bucket_of(seconds)}", [0, 0.0])
            counted[0] += 1
            counted[1] += seconds
        tallies_add(
            [(FIRST_PAGE, label, n, total) for label, (n, total) in counts.items()],
            process=ACCUMULATOR.process,
            now=max(sent[pk] for pk in first),
        )
    return first


def tallies_summed() -> dict[tuple[str, str], tuple[int, float]]:
    """Return every (metric, label)'s count and total summed over all processes: one query."""
    return {
        (metric, label): (n or 0, total or 0.0)
        for metric, label, n, total in Tally.objects.values_list("metric", "label")
        .annotate(n=Sum("count"), total=Sum("total"))
        .values_list("metric", "label", "n", "total")
        .order_by()
    }


def tallies_compact(*, now: datetime, idle: timedelta = timedelta(days=1)) -> int:
    """Fold the rows of processes silent for `idle` into the RETIRED rows; return how many.

    The sums the scrape reads do not change. A process silent that long that writes again
    starts a new row with what it adds: its counts are additive, so nothing is counted twice.
    Done COMPACT_BATCH rows a transaction, each row locked while it is folded.
    """
    folded_rows = 0
    while True:
        with transaction.atomic():
            old = list(
                Tally.objects.select_for_update()
                .filter(updated_at__lt=now - idle)
                .exclude(process=RETIRED)
                .order_by("pk")
                .values_list("pk", "metric", "label", "count", "total")[:COMPACT_BATCH]
            )
            if not old:
                return folded_rows
            folded: dict[tuple[str, str], list] = {}
            for _, metric, label, n, total in old:
                counted = folded.setdefault((metric, label), [0, 0.0])
                counted[0] += n
                counted[1] += total
            Tally.objects.filter(pk__in=[pk for pk, *_ in old]).delete()
            tallies_add(
                [(metric, label, n, total) for (metric, label), (n, total) in folded.items()],
                process=RETIRED,
                now=now,
            )
        folded_rows += len(old)
