"""The send plan of a rehearsal: for each request, its offset from the start and its alerts.

Pure: no I/O, no clock. `plan(shape=..., alerts=N, rate=R, prefix=...)` is deterministic, so a
test can check the plan and the report can say what was asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SHAPES = ("steady", "ramp", "storm", "alertmanager")
# A ramp starts at this share of --rate and rises linearly to all of it.
RAMP_START = 0.1
# In a storm one alert in this many opens an incident; the rest repeat its key (95 % duplicates).
STORM_REPEAT = 20
# Alerts per Alertmanager webhook request (a group, as Alertmanager batches them).
ALERTMANAGER_BATCH = 10


@dataclass(frozen=True)
class Send:
    """One request: sent `at` seconds after the start, carrying alerts with these dedup keys."""

    at: float
    keys: tuple[str, ...]


def _steady_offsets(alerts: int, rate: float) -> list[float]:
    return [i / rate for i in range(alerts)]


def _ramp_offsets(alerts: int, rate: float) -> list[float]:
    """Offsets under a rate rising linearly from RAMP_START x rate to rate over the run."""
    # With r(t) = rate (s + (1 - s) t / T), the alerts sent by t are
    # rate (s t + (1 - s) t^2 / 2T), and all of them by T: T = alerts / (rate (1 + s) / 2).
    start = RAMP_START
    duration = alerts / (rate * (1 + start) / 2)
    a = rate * (1 - start) / (2 * duration)
    b = rate * start
    return [(-b + math.sqrt(b * b + 4 * a * i)) / (2 * a) for i in range(alerts)]


def mean_rate(shape: str, rate: float) -> float:
    """Return the average alerts a second the plan of `shape` asks for at `rate`."""
    return rate * (1 + RAMP_START) / 2 if shape == "ramp" else float(rate)


def incidents_expected(shape: str, alerts: int) -> int:
    """Return how many distinct dedup keys (so incidents) a plan opens."""
    return math.ceil(alerts / STORM_REPEAT) if shape == "storm" else alerts


def plan(*, shape: str, alerts: int, rate: float, prefix: str) -> list[Send]:
    """Return the requests of a rehearsal of `alerts` alerts at `rate` a second, in order.

    steady: one alert a request, evenly spaced. ramp: the same with the rate rising from 10 % to
    100 % of `rate`. storm: steady timing, but only one alert in STORM_REPEAT opens a new key;
    the others repeat the newest key (95 % duplicates). alertmanager: groups of
    ALERTMANAGER_BATCH alerts a request, each request sent when its first alert is due.
    Keys start with `prefix` so two rehearsals never share one.
    """
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; use one of {', '.join(SHAPES)}")
    if alerts < 1 or rate <= 0:
        raise ValueError("alerts and rate must be positive")
    offsets = _ramp_offsets(alerts, rate) if shape == "ramp" else _steady_offsets(alerts, rate)
    if shape == "storm":
        return [Send(at, (f"{prefix}-{i // STORM_REPEAT}",)) for i, at in enumerate(offsets)]
    if shape == "alertmanager":
        return [
            Send(
                offsets[start],
                tuple(
                    f"{prefix}-{i}" for i in range(start, min(start + ALERTMANAGER_BATCH, alerts))
                ),
            )
            for start in range(0, alerts, ALERTMANAGER_BATCH)
        ]
    return [Send(at, (f"{prefix}-{i}",)) for i, at in enumerate(offsets)]
