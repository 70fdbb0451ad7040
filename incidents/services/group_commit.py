"""Group commit: the writes of concurrent ingest requests share one transaction.

A web process hands each ingest request to its ingest threads (`GroupCommit.submit`). A thread
takes every request that has arrived (waiting up to PLANTAO_INGEST_GROUP_MS after the first for
more while more keep coming, at most PLANTAO_INGEST_GROUP_MAX requests and, but for the first,
PLANTAO_INGEST_GROUP_BYTES of bodies), checks each on its own (token,
rate limit, payload: a refusal is that request's answer alone), runs the writes of the others in
one transaction, commits once, and only then answers them. So:

- an answer of 202 means the alert is committed;
- a process that dies before the commit answers none of the batch: every sender retries, and
  the database rolls the open transaction back, so nothing is half stored;
- a write that fails rolls the batch back, and each write of the batch runs again alone in a
  transaction of its own: a failure is its own request's, never its neighbours'.

The writes run in an order fixed by their keys (service, dedup key), the same in every process
and thread, so two batches touching the same incidents wait for each other rather than deadlock.

A process has PLANTAO_INGEST_WRITERS such threads, each with its own database connection: while
one waits for PostgreSQL (its statements, its commit's flush), another checks and writes the
next group. A hundred-alert Alertmanager request keeps a thread for the ten milliseconds of its
statements, and is a group of its own (its body passes the bytes bound): with one thread, or
with one group taking every waiting batch, a process's requests queued behind each other's
round trips while its core idled. SQLite takes one writer at a time, so there the default is
one thread.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connection, transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Write:
    """A request checked and ready to store: `run` writes it inside a transaction it does not
    own; `answer` turns what `run` returned into the request's reply, after the commit; `refuse`
    turns an error `run` raised into a reply (None: the error is not the request's fault)."""

    run: Callable[[], Any]
    answer: Callable[[Any], Any]
    refuse: Callable[[Exception], Any] = lambda error: None
    order: tuple = field(default=())


@dataclass
class _Item:
    take: Callable[[], Any]  # returns the reply at once, or a Write
    context: contextvars.Context
    future: Future
    size: int = 0  # the request body's bytes


def write_alone(write: Write) -> Any:
    """Run `write` in a transaction of its own and return its reply (the path without a group)."""
    return _alone(write)[0]


def _alone(write: Write) -> tuple[Any, bool]:
    """Return the reply to `write` run in a transaction of its own, and whether it committed."""
    try:
        with transaction.atomic():
            outcome = write.run()
    except Exception as error:
        reply = write.refuse(error)
        if reply is None:
            raise
        return reply, False
    return write.answer(outcome), True


@dataclass(frozen=True)
class Ran:
    """What a group did: (ok, reply or exception) per item, and its commits and the writes in
    them (one commit for all the writes, or one each when the group fell back)."""

    outcomes: list[tuple[bool, Any]]
    commits: int
    writes: int  # committed


WINDOW_SLICES = 4  # a group stops waiting after a quarter of its window with nobody new
IDLE_CHECK_SECONDS = 1.0  # a connection idle this long is checked before a group uses it
_thread = threading.local()  # last_group: when this ingest thread last ran a group (monotonic)


def _connection_checked() -> None:
    """Drop this thread's connection if it is unusable (the database restarted or failed over),
    so that the group's first query opens another instead of failing. Django checks at each
    request's start (CONN_HEALTH_CHECKS); the ingest thread has no requests of its own, so it
    checks after an error, and before a group that comes after a pause (under load, groups
    follow each other and an error says what a check would)."""
    now = time.monotonic()
    idle = now - getattr(_thread, "last_group", 0.0) > IDLE_CHECK_SECONDS
    _thread.last_group = now
    if connection.connection is None or not (connection.errors_occurred or idle):
        return
    if connection.is_usable():
        connection.errors_occurred = False
    else:
        connection.close()


def batch_run(items: list[_Item]) -> Ran:
    """Take, write and answer `items` as one group."""
    _connection_checked()
    outcomes: list[tuple[bool, Any] | None] = [None] * len(items)
    writes: list[tuple[int, Write]] = []
    for index, item in enumerate(items):
        try:
            taken = item.context.run(item.take)
        except Exception as error:  # noqa: BLE001 - the request's own failure, answered 500
            outcomes[index] = (False, error)
            continue
        if isinstance(taken, Write):
            writes.append((index, taken))
        else:
            outcomes[index] = (True, taken)
    writes.sort(key=lambda pair: pair[1].order)
    ran: list[Any] | None = None
    if writes:
        try:
            with transaction.atomic():
                ran = [items[index].context.run(write.run) for index, write in writes]
        except Exception as error:  # noqa: BLE001 - each write is tried again alone below
            if isinstance(error, DatabaseError) and not connection.is_usable():
                connection.close()  # a lost connection: the next attempt opens another
            if len(writes) > 1:
                log.info("A group of %d ingest writes failed; writing each alone", len(writes))
    commits = committed = 0
    if ran is not None:
        commits, committed = 1, len(writes)
    for position, (index, write) in enumerate(writes):
        context = items[index].context
        try:
            if ran is not None:
                outcomes[index] = (True, context.run(write.answer, ran[position]))
            else:
                reply, alone = context.run(_alone, write)
                outcomes[index] = (True, reply)
                commits, committed = commits + alone, committed + alone
        except Exception as error:  # noqa: BLE001 - answered 500, the others go on
            outcomes[index] = (False, error)
    return Ran(outcomes, commits, committed)  # type: ignore[arg-type]


class GroupCommit:
    """The process's ingest threads and their queue (one per process, started on first use)."""

    def __init__(
        self,
        *,
        window: float,
        most: int,
        after_batch: Callable[[Ran], None],
        writers: int = 1,
        most_bytes: int = 0,
    ):
        self.window, self.most = window, max(1, most)
        self.writers = max(1, writers)
        self.most_bytes = most_bytes or float("inf")
        self.after_batch = after_batch
        self._queue: deque[_Item] = deque()
        self._ready = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._pid = 0

    def submit(self, take: Callable[[], Any], size: int = 0) -> Future:
        """Queue `take` (run in an ingest thread, in the caller's context) of a request of `size`
        bytes; return the future of its reply, set once its write is committed (or it was
        refused)."""
        item = _Item(take, contextvars.copy_context(), Future(), size)
        with self._ready:
            if not self._threads or self._pid != os.getpid():
                self._start()
            self._queue.append(item)
            self._ready.notify()
        return item.future

    def _start(self) -> None:
        self._queue.clear()  # a forked child inherits no one's requests
        self._pid = os.getpid()
        self._threads = [
            threading.Thread(target=self._serve, name=f"plantao-ingest-{n}", daemon=True)
            for n in range(self.writers)
        ]
        for thread in self._threads:
            thread.start()

    def _next_batch(self) -> list[_Item]:
        with self._ready:
            while True:
                while not self._queue:
                    self._ready.wait()
                self._latecomers_wait()
                if self._queue:  # another thread may have taken them meanwhile
                    break
            first = self._queue.popleft()
            batch, size = [first], first.size
            while self._queue and len(batch) < self.most:
                if size + self._queue[0].size > self.most_bytes:
                    break
                size += self._queue[0].size
                batch.append(self._queue.popleft())
            return batch

    def _latecomers_wait(self) -> None:
        """Wait for latecomers while they keep coming, at most `window` in all: when a slice of
        it passes with nobody new, the group is whole (the senders that are about are all in
        it) and waiting on would only delay their answers. Called holding the lock."""
        if self.window <= 0:
            return
        deadline = time.monotonic() + self.window
        while self._queue and not self._full():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            seen = len(self._queue)
            self._ready.wait(min(left, self.window / WINDOW_SLICES))
            if len(self._queue) <= seen:
                return

    def _full(self) -> bool:
        """Whether the queue holds a whole group already (by requests, or by their bytes)."""
        return len(self._queue) >= self.most or (
            sum(item.size for item in self._queue) >= self.most_bytes
        )

    def _serve(self) -> None:
        while True:
            batch = self._next_batch()
            try:
                ran = batch_run(batch)
            except Exception as error:  # noqa: BLE001 - never let the thread die
                log.exception("The ingest thread failed a group of %d requests", len(batch))
                ran = Ran([(False, error)] * len(batch), 0, 0)
            for item, (ok, value) in zip(batch, ran.outcomes, strict=True):
                try:
                    if ok:
                        item.future.set_result(value)
                    else:
                        item.future.set_exception(value)
                except InvalidStateError:
                    pass  # its request was cancelled (the server shutting down): nobody waits
            try:
                self.after_batch(ran)
            except Exception:  # noqa: BLE001
                log.exception("After a group of ingest writes")
