"""The proposal read back: shifts, uncovered stretches with reasons, loads, and the rules held."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from oncall.load import Load
from oncall.rota import Shift

from .layers import loads_of
from .problem import HOUR, Participant, PersonReport, Problem, Uncovered
from .slots import Grid

CLASSES = ("hours", "night", "weekend", "holiday")


def shifts_of(grid: Grid, holder: list[int | None], problem: Problem) -> tuple[Shift, ...]:
    """Return the maximal runs of one holder over the required slots (None: uncovered)."""
    shifts: list[Shift] = []
    for t in range(grid.size):
        if not grid.required[t]:
            continue
        person = None if holder[t] is None else problem.participants[holder[t]].key
        start = grid.start(t)
        last = shifts[-1] if shifts else None
        if last is not None and last.end == start and last.person == person:
            shifts[-1] = Shift(last.start, start + HOUR, person)
        else:
            shifts.append(Shift(start, start + HOUR, person))
    return tuple(shifts)


def uncovered_of(grid: Grid, holder: list[int | None], problem: Problem, rules_text: str):
    """Return the uncovered required hours, merged into stretches with one reason each."""
    labels = [participant.label for participant in problem.participants]
    stretches: list[Uncovered] = []
    for t in range(grid.size):
        if not grid.required[t] or holder[t] is not None:
            continue
        reason = _reason(grid, t, labels, rules_text)
        start = grid.start(t)
        last = stretches[-1] if stretches else None
        if last and last.end == start and (last.layer, last.reason) == (grid.layer[t], reason):
            stretches[-1] = Uncovered(last.start, start + HOUR, last.layer, reason)
        else:
            stretches.append(Uncovered(start, start + HOUR, grid.layer[t], reason))
    return tuple(stretches)


def _reason(grid: Grid, t: int, labels: list[str], rules_text: str) -> str:
    if not grid.candidates[t]:
        return f"nobody takes part in {grid.layer[t]}"
    parts = []
    if grid.off[t]:
        parts.append(f"{_names(grid.off[t], labels)} {_be(grid.off[t])} on time off")
    if grid.asleep[t]:
        parts.append(
            f"{_names(grid.asleep[t], labels)} {_be(grid.asleep[t])} asleep (22:00-08:00 "
            "their time) and may not be woken while someone else is awake"
        )
    if grid.allowed[t]:
        allowed = grid.allowed[t]
        parts.append(f"{_names(allowed, labels)} could not take it without breaking {rules_text}")
    return "; ".join(parts)


def _names(people, labels: list[str]) -> str:
    names = [labels[p] for p in sorted(people)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _be(people) -> str:
    return "is" if len(people) == 1 else "are"


def people_of(problem: Problem, shifts: Sequence[Shift]) -> tuple[PersonReport, ...]:
    """Return each participant's proposed, round-robin and past load."""
    proposed = loads_of(shifts, problem.participants)
    baseline = loads_of(problem.baseline, problem.participants)
    counts = {participant.key: 0 for participant in problem.participants}
    for shift in shifts:
        if shift.person is not None:
            counts[shift.person] += 1
    return tuple(
        PersonReport(
            key=participant.key,
            label=participant.label,
            proposed=proposed[participant.key],
            baseline=baseline[participant.key],
            past=participant.past,
            past_pages=participant.past_pages,
            shifts=counts[participant.key],
        )
        for participant in problem.participants
    )


def mean_of(loads: Sequence[Load]) -> Load:
    if not loads:
        return Load()
    return Load(*(sum(getattr(load, name) for load in loads) / len(loads) for name in CLASSES))


def spread_of(loads: Sequence[Load]) -> Load:
    """Return max - min across `loads`, per class."""
    if not loads:
        return Load()
    return Load(
        *(
            max(getattr(load, name) for load in loads) - min(getattr(load, name) for load in loads)
            for name in CLASSES
        )
    )


def rules_held(problem: Problem, grid: Grid, holder, shifts: Sequence[Shift]) -> tuple[str, ...]:
    """Return one sentence per hard rule, saying why it held, with figures read from `shifts`."""
    rules = problem.rules
    by_key = {participant.key: participant for participant in problem.participants}
    mine: dict = {}
    for shift in shifts:
        if shift.person is not None:
            mine.setdefault(shift.person, []).append(shift)
    required = sum(grid.required)
    uncovered = sum(int((s.end - s.start) / HOUR) for s in shifts if s.person is None)
    sentences = [
        f"Coverage: {required - uncovered} of {required} required hours are covered"
        + (f"; {uncovered} cannot be (see why below)." if uncovered else ".")
    ]
    away = [
        (participant, start, end)
        for participant in problem.participants
        for start, end in participant.unavailable
        if start < problem.until and problem.since < end
    ]
    if away:
        people = len({participant.key for participant, _, _ in away})
        sentences.append(
            f"Time off: no shift overlaps any of the {len(away)} periods of time off "
            f"({people} {'person' if people == 1 else 'people'}) in the horizon."
        )
    else:
        sentences.append("Time off: nobody has time off in the horizon.")
    sentences.append(_sleep_sentence(problem, grid, holder))
    sentences.append(_length_sentence(rules, mine, by_key, problem.until))
    sentences.append(_rest_sentence(rules, mine, by_key))
    sentences.append(_days_sentence(rules, mine, by_key))
    return tuple(sentences)


def _sleep_sentence(problem: Problem, grid: Grid, holder: list[int | None]) -> str:
    if not problem.rules.avoid_sleep:
        return "Sleep hours: not protected in this proposal (avoid_sleep is off)."
    # Hours where nobody present was awake: only there may a sleeper be on call.
    forced = [
        t
        for t in range(grid.size)
        if grid.required[t]
        and grid.allowed[t]
        and not grid.asleep[t]
        and all(grid.weights[p].night[t] for p in grid.allowed[t])
    ]
    if not forced:
        return (
            "Sleep hours: nobody is on call in their own sleep hours (22:00-08:00 their time); "
            "every required hour had a candidate awake."
        )
    woken = sum(1 for t in forced if holder[t] is not None)
    return (
        "Sleep hours: nobody is on call in their own sleep hours (22:00-08:00 their time) while "
        f"a candidate is awake; {len(forced)} required hours had none awake, and {woken} of "
        "them are on call in someone's sleep hours (counted as night hours, which are balanced)."
    )


def _length_sentence(rules, mine, by_key, until: datetime) -> str:
    lengths = [
        (int((s.end - s.start) / HOUR), key, s) for key, shifts in mine.items() for s in shifts
    ]
    if not lengths:
        return f"Shift length {rules.min_shift_hours}-{rules.max_shift_hours} h: no shifts."
    regular = [item for item in lengths if item[0] >= rules.min_shift_hours] or lengths
    short, key_short, shift_short = min(regular, key=lambda item: item[0])
    long, key_long, shift_long = max(lengths, key=lambda item: item[0])
    below = len(lengths) - len(regular) if regular is not lengths else 0
    tail = ""
    if below:
        tail = f"; shorter ({below}): a whole window shorter than the minimum, or the horizon's end"
    return (
        f"Shift length {rules.min_shift_hours}-{rules.max_shift_hours} h: shifts run from "
        f"{short} h ({_who_when(by_key[key_short], shift_short.start)}) to {long} h "
        f"({_who_when(by_key[key_long], shift_long.start)}){tail}."
    )


def _rest_sentence(rules, mine, by_key) -> str:
    gaps = []
    for key, shifts in mine.items():
        for before, after in zip(shifts, shifts[1:], strict=False):
            gaps.append((int((after.start - before.end) / HOUR), key, before.end, after.start))
    if not gaps:
        return f"Minimum rest {rules.min_rest_hours} h: nobody has two shifts."
    hours, key, end, start = min(gaps, key=lambda item: item[0])
    participant = by_key[key]
    return (
        f"Minimum rest {rules.min_rest_hours} h: the shortest rest between two shifts of one "
        f"person is {hours} h ({participant.label}, {_span(participant, end, start)})."
    )


def _days_sentence(rules, mine, by_key) -> str:
    best = (0, None, None, None)
    for key, shifts in mine.items():
        zone = ZoneInfo(by_key[key].time_zone)
        days = set()
        for shift in shifts:
            first = shift.start.astimezone(zone).date()
            last = (shift.end - HOUR / 3600).astimezone(zone).date()
            days.update(
                first.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)
            )
        for day in days:
            if day.fromordinal(day.toordinal() - 1) in days:
                continue
            run = 1
            while day.fromordinal(day.toordinal() + run) in days:
                run += 1
            if run > best[0]:
                best = (run, key, day, day.fromordinal(day.toordinal() + run - 1))
    run, key, first, last = best
    if key is None:
        return f"At most {rules.max_consecutive_days} consecutive days: nobody is on call."
    label = by_key[key].label
    when = _date(first) if first == last else f"{_date(first)} to {_date(last)}"
    return (
        f"At most {rules.max_consecutive_days} consecutive days on call: the longest run is "
        f"{run} day{'s' if run != 1 else ''} ({label}, {when}, their local dates)."
    )


def _who_when(participant: Participant, at: datetime) -> str:
    local = at.astimezone(ZoneInfo(participant.time_zone))
    return f"{participant.label}, {_date(local.date())} {local:%H:%M}"


def _span(participant: Participant, start: datetime, end: datetime) -> str:
    zone = ZoneInfo(participant.time_zone)
    a, b = start.astimezone(zone), end.astimezone(zone)
    return f"{_date(a.date())} {a:%H:%M} to {_date(b.date())} {b:%H:%M} their time"


def _date(day) -> str:
    return f"{day.day} {day:%b} {day.year}"
