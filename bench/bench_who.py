"""`manage.py oncall who` as a whole process: wall time and peak memory (make bench).

Uses DATABASE_URL when set (say, PostgreSQL), else a SQLite file of its own under var/bench/.
Loads the demo organisation first, then runs the command RUNS times and prints the figures.
"""

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 15


def run(argv: list[str], env: dict) -> tuple[float, int]:
    """Run one process; return its wall time in seconds and peak RSS in KiB."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed")
    return elapsed, usage.ru_maxrss


def main() -> None:
    env = dict(os.environ)
    if "DATABASE_URL" not in env:
        (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
        env["DATABASE_URL"] = "sqlite:///var/bench/who.sqlite3"
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)

    times, peaks = [], []
    for _ in range(RUNS):
        elapsed, peak = run([*manage, "oncall", "who"], env)
        times.append(elapsed)
        peaks.append(peak)
    database = env["DATABASE_URL"].split(":", 1)[0]
    print(f"conditions: Python {platform.python_version()}, {os.cpu_count()} CPUs, {database}")
    print(f"manage.py oncall who, {RUNS} runs, each a fresh process:")
    print(
        f"  wall time  median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms"
    )
    print(
        f"  peak RSS   median {statistics.median(peaks) / 1024:.1f} MiB, "
        f"max {max(peaks) / 1024:.1f} MiB"
    )
    baseline, _ = run([sys.executable, "-c", "pass"], env)
    print(f"  (bare Python start-up for comparison: {baseline * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
