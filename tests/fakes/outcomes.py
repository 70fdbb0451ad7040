"""What a fake provider does with the next request: scripted outcomes, random faults, or "ok"."""

import random
import threading
from collections import deque
from dataclasses import dataclass, field

# An outcome as the tests write it: "ok", "500", ("400", 21211), ("hang", 2.5), ...
Outcome = str | tuple[str, object]

# The outcomes that take an argument, and the type it must have.
ARGUMENTS = {"400": int, "hang": (int, float), "error": str}


@dataclass
class Reply:
    """One HTTP answer: a status, a JSON-able dict or a text body, extra headers, and how long
    to wait before sending it."""

    status: int
    body: dict | str
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def normalized(outcome: Outcome, allowed: frozenset[str]) -> tuple[str, object]:
    """Return `outcome` as (kind, argument); raise ValueError for one this provider lacks."""
    kind, argument = (outcome, None) if isinstance(outcome, str) else outcome
    expected = ARGUMENTS.get(kind)
    if kind not in allowed or (expected is None) != (argument is None):
        raise ValueError(f"unknown outcome {outcome!r}; expected one of {sorted(allowed)}")
    if expected is not None and not isinstance(argument, expected):
        raise ValueError(f"outcome {outcome!r}: {kind!r} takes a {expected}")
    return kind, argument


class Outcomes:
    """Hand out one outcome per request: the scripted ones in order, then random faults if a
    fault rate is set, else "ok"."""

    def __init__(self, lock: threading.RLock, allowed: frozenset[str]):
        self._lock = lock
        self._allowed = allowed
        self._queue: deque[tuple[str, object]] = deque()
        self._rate = 0.0
        self._random = random.Random()
        self._hang = 0.0

    def script(self, *outcomes: Outcome) -> None:
        """Queue `outcomes` for the next requests, after any already queued."""
        checked = [normalized(outcome, self._allowed) for outcome in outcomes]
        with self._lock:
            self._queue.extend(checked)

    def fault_rate(self, rate: float, *, seed: int | None = None, hang: float = 3.0) -> None:
        """Fail each unscripted request with probability `rate`, as a 500, a 429 or a hang of
        `hang` seconds, chosen evenly; a rate of 0 stops the faults."""
        if not 0 <= rate <= 1:
            raise ValueError(f"fault rate {rate} is not between 0 and 1")
        with self._lock:
            self._rate, self._random, self._hang = rate, random.Random(seed), hang

    def next(self) -> tuple[str, object]:
        """Return the outcome for the request being answered."""
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if self._rate and self._random.random() < self._rate:
                return self._random.choice([("500", None), ("429", None), ("hang", self._hang)])
            return "ok", None

    def clear(self) -> None:
        """Forget the script and the fault rate."""
        with self._lock:
            self._queue.clear()
            self._rate = 0.0
