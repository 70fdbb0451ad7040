"""How fast the pure rota answers: on_call_at per call, and a year of final shifts.

Run from the project root: python bench/bench_rota.py. Prints figures; asserts nothing.
The rota is the demo's follow-the-sun one: three weekly layers, each restricted to its office
hours, plus 100 seeded random overrides over two years.
"""

import os
import platform
import random
import statistics
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import perf_counter, perf_counter_ns
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall.rota import (  # noqa: E402
    Layer,
    Override,
    Restriction,
    RestrictionKind,
    Rota,
    TurnUnit,
    final_shifts,
    next_shift_after,
    on_call_at,
    shift_at,
)

SEED = 20260105
START = datetime(2026, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=730)
CALLS = 100_000
RENDER_RUNS = 7


def office_layer(zone: str, people: list[str], opens: int, hours: int) -> Layer:
    """Return a weekly rotation handing off Monday 09:00 local, active `hours` from `opens`."""
    return Layer(
        participants=tuple(people),
        turn_unit=TurnUnit.WEEKS,
        turn_count=1,
        handoff=datetime(2026, 1, 5, 9, tzinfo=ZoneInfo(zone)),
        time_zone=zone,
        restrictions=(Restriction(RestrictionKind.DAILY, time(opens), timedelta(hours=hours)),),
    )


def follow_the_sun(rng: random.Random) -> Rota:
    """Return the demo rota: Sao Paulo lowest, then Lisbon, Singapore highest, and overrides."""
    sao_paulo = office_layer("America/Sao_Paulo", [f"sp{i}" for i in range(6)], 12, 9)
    lisbon = office_layer("Europe/Lisbon", [f"lis{i}" for i in range(6)], 8, 8)
    singapore = office_layer("Asia/Singapore", [f"sg{i}" for i in range(5)], 8, 8)
    everyone = [*sao_paulo.participants, *lisbon.participants, *singapore.participants]
    overrides = []
    for _ in range(100):
        start = START + timedelta(minutes=rng.randrange(int(SPAN.total_seconds() // 60)))
        length = timedelta(hours=rng.uniform(3, 96))
        overrides.append(Override(rng.choice(everyone), start, start + length))
    return Rota(layers=(sao_paulo, lisbon, singapore), overrides=tuple(overrides))


def bench_on_call_at(rota: Rota, rng: random.Random) -> list[int]:
    """Return the time of each of CALLS on_call_at calls at random instants, in nanoseconds."""
    span_us = int(SPAN.total_seconds() * 1_000_000)
    instants = [START + timedelta(microseconds=rng.randrange(span_us)) for _ in range(CALLS)]
    on_call_at(rota, instants[0])  # builds the per-rota cache once, as a long-lived rota would
    clock = perf_counter_ns
    timings = []
    for instant in instants:
        began = clock()
        on_call_at(rota, instant)
        timings.append(clock() - began)
    return timings


def bench_final_shifts(rota: Rota) -> tuple[list[float], int]:
    """Return the seconds each run took to render one year of final shifts, and the count."""
    durations = []
    for _ in range(RENDER_RUNS):
        began = perf_counter()
        shifts = final_shifts(rota, START, START + timedelta(days=365))
        durations.append(perf_counter() - began)
    return durations, len(shifts)


def bench_now_and_next(rota: Rota, rng: random.Random, calls: int = 2_000) -> list[int]:
    """Return the time of each "who now, until when, who next" answer, in nanoseconds."""
    span_us = int(SPAN.total_seconds() * 1_000_000)
    instants = [START + timedelta(microseconds=rng.randrange(span_us)) for _ in range(calls)]
    timings = []
    for instant in instants:
        began = perf_counter_ns()
        shift_at(rota, instant)
        next_shift_after(rota, instant)
        timings.append(perf_counter_ns() - began)
    return timings


def main() -> None:
    rng = random.Random(SEED)
    rota = follow_the_sun(rng)
    print(
        f"python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )
    print(f"rota: 3 weekly restricted layers, {len(rota.overrides)} overrides, seed {SEED}")

    timings = bench_on_call_at(rota, rng)
    quantiles = statistics.quantiles(timings, n=100)
    print(
        f"on_call_at over {CALLS:,} random instants in {SPAN.days} days: "
        f"median {statistics.median(timings) / 1000:.1f} µs, "
        f"p99 {quantiles[98] / 1000:.1f} µs, max {max(timings) / 1000:.1f} µs"
    )

    durations, count = bench_final_shifts(rota)
    print(
        f"final_shifts for one year ({count:,} segments): "
        f"median {statistics.median(durations) * 1000:.1f} ms over {RENDER_RUNS} runs "
        f"(min {min(durations) * 1000:.1f} ms)"
    )

    timings = bench_now_and_next(rota, rng)
    quantiles = statistics.quantiles(timings, n=100)
    print(
        f"shift_at + next_shift_after (who now, until when, who next) over {len(timings):,} "
        f"instants: median {statistics.median(timings) / 1000:.0f} µs, "
        f"p99 {quantiles[98] / 1000:.0f} µs"
    )


if __name__ == "__main__":
    main()
