"""The fair rota generator on the demo-like team (make bench): 17 people x 12 weeks, hourly slots.

Run from the project root: python bench/bench_rota_fair.py. Prints figures; asserts nothing.
Target (issue 20): a proposal in under 30 s on this machine, with the solver's own time limit
reported and the gap to its bound printed.

Two schedules, built purely by oncall.rota.fair.sample (no database): "Secondary", one weekly
24/7 layer of all 17 (6 São Paulo, 6 Lisbon, 5 Singapore) as in the demo, and "Primary", the
demo's follow the sun (São Paulo 12:00-21:00, Lisbon and Singapore 08:00-16:00 local, weekly
turns inside each region). 12 weeks from Monday 2027-01-04, each country's public holidays, a
seeded past of 90 days. The default rules (rest 10 h, shifts 4-12 h, at most 5 consecutive
days, no one woken while someone is awake, time limit 20 s, 2 workers, seed 0). The spreads are
max - min across the 17 people of the proposal's hours, against plain round-robin of the same
layers; the target of the issue is at most half for night, weekend and holiday hours (on the
24/7 layer; follow the sun's weekly turns are already even inside each region, and its regions
cannot share work, so there the proposal mostly moves load to make up for the past).
"""

import os
import platform
import sys
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall.rota.fair import Rules, propose  # noqa: E402
from oncall.rota.fair.sample import demo_like  # noqa: E402

WEEKS = 12
TARGET_SECONDS = 30.0
CLASSES = ("night", "weekend", "holiday", "hours")


def run(schedule: str, rules: Rules, note: str = "") -> None:
    problem = demo_like(schedule, weeks=WEEKS, rules=rules)
    slots = int((problem.until - problem.since).total_seconds() // 3600)
    began = perf_counter()
    proposal = propose(problem)
    wall = perf_counter() - began
    people = len(problem.participants)
    print(f"-- {schedule}{note}: {people} people x {WEEKS} weeks ({slots} slots)")
    print(
        f"   wall {wall:.1f} s (target {TARGET_SECONDS:.0f} s), solver time limit "
        f"{proposal.time_limit_seconds:.0f} s, status {proposal.status}"
    )
    print(
        f"   objective {proposal.objective:,.0f}, bound {proposal.bound:,.0f}, "
        f"gap {proposal.gap:.1%}"
    )
    covered = sum((s.end - s.start).total_seconds() for s in proposal.shifts if s.person)
    print(f"   covered {covered / 3600:.0f} h, uncovered stretches {len(proposal.uncovered)}")
    print(f"   {'spread (max - min)':<20}{'proposal':>10}{'round-robin':>13}{'ratio':>8}")
    for name in CLASSES:
        mine, theirs = getattr(proposal.spread, name), getattr(proposal.baseline_spread, name)
        ratio = f"{mine / theirs:.2f}" if theirs else "-"
        label = "on-call hours" if name == "hours" else f"{name} hours"
        print(f"   {label:<20}{mine:>10.1f}{theirs:>13.1f}{ratio:>8}")
    for sentence in proposal.rules_held:
        print(f"   * {sentence}")


def main() -> None:
    print(
        f"bench_rota_fair: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    run("Secondary", Rules())
    run("Primary", Rules())
    # Round-robin ignores the past; the proposal makes up a quarter of it (past_weight), which
    # widens its spreads on purpose. Without the past, the spreads show the balancing alone.
    run("Primary", Rules(past_weight=0.0), note=" without the past (past_weight 0)")


if __name__ == "__main__":
    main()
