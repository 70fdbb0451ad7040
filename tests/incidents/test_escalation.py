"""The pure escalation rules: policies, snapshots, walking the steps, round-robin. No database."""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.escalation import (
    Advance,
    EscalationError,
    Policy,
    Position,
    RuleTiming,
    Step,
    Target,
    TargetKind,
    escalation_advance,
    escalation_start,
    policy_from_snapshot,
    policy_to_snapshot,
    round_robin_pick,
    rule_due_times,
)

PROPERTY = settings(max_examples=200, deadline=None)
MINUTE = timedelta(minutes=1)
T0 = datetime(2026, 3, 2, 3, 17, tzinfo=UTC)

PRIMARY = Target(TargetKind.SCHEDULE, 1)
SECONDARY = Target(TargetKind.SCHEDULE, 2)
MANAGER = Target(TargetKind.PERSON, 18)


def demo_policy() -> Policy:
    """Primary at once; after 5 minutes Secondary; after 10 more the manager; repeat twice."""
    return Policy(
        steps=(
            Step(escalate_after=timedelta(minutes=5), targets=(PRIMARY,)),
            Step(escalate_after=timedelta(minutes=10), targets=(SECONDARY,)),
            Step(escalate_after=timedelta(minutes=15), targets=(MANAGER,)),
        ),
        repeat=2,
    )


def walk(policy: Policy, start: Position, fired_at: datetime) -> list[tuple[Advance, datetime]]:
    """Fire every step from `start`, each when it falls due, until the escalation is exhausted."""
    advances = []
    position: Position | None = start
    while position is not None:
        advance = escalation_advance(policy, position, fired_at)
        advances.append((advance, fired_at))
        position, fired_at = advance.next_position, advance.next_due
    return advances


# --- The demo policy, step by step ---------------------------------------------------------------


def test_demo_policy_pages_every_step_of_three_passes_then_stops():
    advances = walk(demo_policy(), escalation_start(0), T0)

    fired = [
        (advance.fire.targets, advance.position, fired_at - T0) for advance, fired_at in advances
    ]
    assert fired == [
        ((PRIMARY,), Position(0, 0, 0), timedelta(minutes=0)),
        ((SECONDARY,), Position(1, 0, 0), timedelta(minutes=5)),
        ((MANAGER,), Position(2, 0, 0), timedelta(minutes=15)),
        ((PRIMARY,), Position(0, 1, 1), timedelta(minutes=30)),
        ((SECONDARY,), Position(1, 1, 1), timedelta(minutes=35)),
        ((MANAGER,), Position(2, 1, 1), timedelta(minutes=45)),
        ((PRIMARY,), Position(0, 2, 2), timedelta(minutes=60)),
        ((SECONDARY,), Position(1, 2, 2), timedelta(minutes=65)),
        ((MANAGER,), Position(2, 2, 2), timedelta(minutes=75)),
    ]
    last = advances[-1][0]
    assert last.next_position is None
    assert last.next_due is None


def test_demo_policy_first_advance_says_what_comes_next():
    advance = escalation_advance(demo_policy(), escalation_start(0), T0)

    assert advance == Advance(
        fire=demo_policy().steps[0],
        position=Position(0, 0, 0),
        next_position=Position(1, 0, 0),
        next_due=T0 + timedelta(minutes=5),
    )


def test_last_step_of_a_pass_starts_the_next_pass_on_a_new_loop():
    advance = escalation_advance(demo_policy(), Position(2, 0, 0), T0)

    assert advance.fire.targets == (MANAGER,)
    assert advance.next_position == Position(0, 1, 1)
    assert advance.next_due == T0 + timedelta(minutes=15)


def test_a_retriggered_incident_starts_over_on_a_fresh_loop():
    # The first round used loops 0..2; the re-trigger continues numbering from 3.
    first_round = walk(demo_policy(), escalation_start(0), T0)
    second_round = walk(demo_policy(), escalation_start(3), T0 + timedelta(hours=2))

    assert escalation_start(3) == Position(step=0, loop=3, pass_=0)
    assert [advance.position.loop for advance, _ in second_round] == [3, 3, 3, 4, 4, 4, 5, 5, 5]
    keys = [(a.position.step, a.position.loop) for a, _ in first_round + second_round]
    assert len(keys) == len(set(keys))


def test_a_single_step_policy_without_repeat_fires_once():
    policy = Policy(steps=(Step(escalate_after=timedelta(0), targets=(MANAGER,)),))

    advance = escalation_advance(policy, escalation_start(0), T0)

    assert advance.next_position is None
    assert advance.next_due is None


def test_escalation_waits_elapsed_time_across_a_dst_change():
    # New York springs forward at 02:00 on 2026-03-08: 01:55 EST + 10 minutes is 03:05 EDT.
    fired_at = datetime(2026, 3, 8, 1, 55, tzinfo=ZoneInfo("America/New_York"))
    policy = Policy(steps=(Step(timedelta(minutes=10), (PRIMARY,)), Step(MINUTE, (SECONDARY,))))

    advance = escalation_advance(policy, escalation_start(0), fired_at)

    assert advance.next_due == datetime(2026, 3, 8, 7, 5, tzinfo=UTC)
    assert advance.next_due.tzinfo is UTC
    assert advance.next_due - fired_at == timedelta(minutes=10)


# --- Validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Policy(steps=()), "the policy has no steps"),
        (lambda: Step(escalate_after=MINUTE, targets=()), "a step has no targets"),
        (lambda: Policy(steps=(Step(MINUTE, (PRIMARY,)),), repeat=-1), "repeat must be 0 or more"),
        (lambda: Policy(steps=(Step(MINUTE, (PRIMARY,)),), repeat=1.5), "repeat must be a whole"),
        (lambda: Target("pager", 1), "unknown target kind 'pager'; expected one of person, "),
        (lambda: Target("person", "7"), "person target id must be a whole number"),
        (lambda: Target("person", True), "person target id must be a whole number"),
        (
            lambda: Policy(steps=(Step(MINUTE, (PRIMARY,)), Step(timedelta(0), (SECONDARY,)))),
            r"step 2 escalates after 0:00:00; a policy with more than one step or with repeats "
            r"needs at least 1 minute per step",
        ),
        (
            lambda: Policy(steps=(Step(timedelta(0), (PRIMARY,)),), repeat=1),
            "step 1 escalates after 0:00:00; a policy with more than one step or with repeats",
        ),
        (
            lambda: Step(timedelta(seconds=90), (PRIMARY,)),
            r"escalate_after must be a whole, non-negative number of minutes, got 0:01:30",
        ),
        (lambda: Step(-MINUTE, (PRIMARY,)), "escalate_after must be a whole, non-negative"),
        (lambda: Step(5, (PRIMARY,)), "escalate_after must be a timedelta, got 5"),
        (lambda: Step(MINUTE, (1,)), "step targets must be Target objects, got 1"),
        (lambda: Step(MINUTE, PRIMARY), "step targets must be a sequence"),
        (lambda: Policy(steps=(PRIMARY,)), "policy steps must be Step objects"),
    ],
)
def test_invalid_policies_are_refused_with_a_clear_message(build, message):
    with pytest.raises(EscalationError, match=message):
        build()


def test_escalation_error_is_a_value_error():
    assert issubclass(EscalationError, ValueError)


def test_target_kind_accepts_plain_strings_and_keeps_the_enum():
    target = Target("team_round_robin", 4)

    assert target.kind is TargetKind.TEAM_ROUND_ROBIN
    assert target == Target(TargetKind.TEAM_ROUND_ROBIN, 4)


def test_lists_become_tuples_so_policies_stay_hashable():
    policy = Policy(steps=[Step(MINUTE, [PRIMARY, SECONDARY])], repeat=1)

    assert policy.steps == (Step(MINUTE, (PRIMARY, SECONDARY)),)
    assert hash(policy) == hash(Policy(steps=(Step(MINUTE, (PRIMARY, SECONDARY)),), repeat=1))


@pytest.mark.parametrize(
    ("position", "message"),
    [
        (Position(3, 0, 0), "position step 3 is outside the policy's 3 steps"),
        (Position(-1, 0, 0), "position step -1 is outside"),
        (Position(0, 0, 3), r"position pass 3 is outside the policy's passes 0..2"),
        (Position(0, -1, 0), "position loop must be 0 or more"),
        (Position(0.0, 0, 0), "position step must be a whole number"),
        ((0, 0, 0), "position must be a Position"),
    ],
)
def test_positions_outside_the_policy_are_refused(position, message):
    with pytest.raises(EscalationError, match=message):
        escalation_advance(demo_policy(), position, T0)


def test_naive_datetimes_are_refused():
    naive = datetime(2026, 3, 2, 3, 17)

    with pytest.raises(EscalationError, match="fired_at is a naive datetime"):
        escalation_advance(demo_policy(), escalation_start(0), naive)
    with pytest.raises(EscalationError, match="fired_at is a naive datetime"):
        rule_due_times([(1, 0)], naive)


def test_escalation_start_refuses_a_negative_loop():
    with pytest.raises(EscalationError, match="loop must be 0 or more"):
        escalation_start(-1)


# --- Snapshots ----------------------------------------------------------------------------------


def test_demo_policy_snapshot_is_plain_json():
    snapshot = policy_to_snapshot(demo_policy())

    assert snapshot == {
        "version": 1,
        "repeat": 2,
        "steps": [
            {"escalate_after_minutes": 5, "targets": [{"kind": "schedule", "id": 1}]},
            {"escalate_after_minutes": 10, "targets": [{"kind": "schedule", "id": 2}]},
            {"escalate_after_minutes": 15, "targets": [{"kind": "person", "id": 18}]},
        ],
    }
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert type(snapshot["steps"][0]["targets"][0]["kind"]) is str
    assert policy_from_snapshot(snapshot) == demo_policy()


def one_step_snapshot(minutes=5, kind="person", target_id=1):
    target = {"kind": kind, "id": target_id}
    return {
        "version": 1,
        "repeat": 0,
        "steps": [{"escalate_after_minutes": minutes, "targets": [target]}],
    }


@pytest.mark.parametrize(
    ("snapshot", "message"),
    [
        ({"version": 2, "repeat": 0, "steps": []}, "unsupported policy snapshot version 2"),
        ({"repeat": 0, "steps": []}, "malformed policy snapshot: KeyError"),
        ({"version": 1, "repeat": 0, "steps": [{"targets": []}]}, "malformed policy snapshot"),
        ({"version": 1, "repeat": 0, "steps": []}, "the policy has no steps"),
        (one_step_snapshot(minutes=5.0), "escalate_after_minutes must be a whole number"),
        (one_step_snapshot(kind="pager"), "unknown target kind 'pager'"),
        (one_step_snapshot(target_id=None), "person target id must be a whole number"),
        ([1, 2, 3], "malformed policy snapshot"),
    ],
)
def test_bad_snapshots_are_refused(snapshot, message):
    with pytest.raises(EscalationError, match=message):
        policy_from_snapshot(snapshot)


# --- Round-robin and notification rules ---------------------------------------------------------


def test_round_robin_sorts_members_and_turns_with_incident_and_loop():
    members = [30, 10, 20]

    assert [round_robin_pick(members, number, 0) for number in range(4)] == [10, 20, 30, 10]
    assert [round_robin_pick(members, 7, loop) for loop in range(3)] == [20, 30, 10]
    assert round_robin_pick(members, 1, 1) == round_robin_pick(members, 2, 0)


def test_round_robin_counts_a_repeated_member_once():
    assert [round_robin_pick([5, 5, 6], number, 0) for number in range(4)] == [5, 6, 5, 6]


def test_round_robin_refuses_an_empty_team():
    with pytest.raises(EscalationError, match="round-robin target names a team with no members"):
        round_robin_pick([], 1, 0)


def test_rule_due_times_sorts_by_due_time_then_rule_id():
    rules = [(9, 5), (3, 0), (7, 5), (1, 15)]

    timings = rule_due_times(rules, T0)

    assert timings == [
        (3, T0),
        (7, T0 + timedelta(minutes=5)),
        (9, T0 + timedelta(minutes=5)),
        (1, T0 + timedelta(minutes=15)),
    ]
    assert timings[1] == RuleTiming(rule_id=7, due=T0 + timedelta(minutes=5))
    assert all(timing.due.tzinfo is UTC for timing in timings)


def test_rule_due_times_refuses_negative_delays():
    with pytest.raises(EscalationError, match="rule 4 delay_minutes must be 0 or more"):
        rule_due_times([(4, -1)], T0)


def test_rule_due_times_of_no_rules_is_empty():
    assert rule_due_times([], T0) == []


# --- Properties ---------------------------------------------------------------------------------

targets = st.builds(Target, kind=st.sampled_from(list(TargetKind)), id=st.integers(1, 10_000))
steps = st.builds(
    Step,
    escalate_after=st.integers(1, 24 * 60).map(lambda minutes: timedelta(minutes=minutes)),
    targets=st.lists(targets, min_size=1, max_size=4).map(tuple),
)
policies = st.builds(
    Policy, steps=st.lists(steps, min_size=1, max_size=6).map(tuple), repeat=st.integers(0, 5)
)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2040, 1, 1),
    timezones=st.sampled_from([UTC, ZoneInfo("America/New_York"), ZoneInfo("Europe/Lisbon")]),
)


@PROPERTY
@given(policy=policies, first_loop=st.integers(0, 1_000), fired_at=instants)
def test_walking_a_policy_fires_every_step_of_every_pass_once(policy, first_loop, fired_at):
    advances = walk(policy, escalation_start(first_loop), fired_at)
    positions = [advance.position for advance, _ in advances]

    assert len(advances) == len(policy.steps) * (policy.repeat + 1)
    assert len({(p.step, p.loop) for p in positions}) == len(positions)
    assert [advance.fire for advance, _ in advances] == list(policy.steps) * (policy.repeat + 1)
    loops_by_pass = [
        {p.loop for p in positions if p.pass_ == pass_} for pass_ in range(policy.repeat + 1)
    ]
    assert all(len(loops) == 1 for loops in loops_by_pass)
    loops = [loops.pop() for loops in loops_by_pass]
    assert loops == list(range(first_loop, first_loop + policy.repeat + 1))
    assert all(a.position.loop <= b.position.loop for (a, _), (b, _) in pairwise(advances))


@PROPERTY
@given(policy=policies, first_loop=st.integers(0, 1_000), fired_at=instants)
def test_each_step_falls_due_its_escalate_after_later(policy, first_loop, fired_at):
    advances = walk(policy, escalation_start(first_loop), fired_at)

    for advance, fired in advances[:-1]:
        assert advance.next_due > fired
        assert advance.next_due - fired == advance.fire.escalate_after
        assert advance.next_due.tzinfo is UTC
    last, _ = advances[-1]
    assert (last.next_position, last.next_due) == (None, None)


@PROPERTY
@given(policy=policies)
def test_snapshot_round_trip_is_exact(policy):
    snapshot = policy_to_snapshot(policy)
    through_json = json.loads(json.dumps(snapshot))

    assert through_json == snapshot
    assert policy_from_snapshot(through_json) == policy
    assert policy_to_snapshot(policy_from_snapshot(through_json)) == snapshot


@PROPERTY
@given(
    members=st.sets(st.integers(1, 10_000), min_size=1, max_size=20),
    first_number=st.integers(0, 100_000),
    loop=st.integers(0, 100),
)
def test_round_robin_picks_each_member_once_over_consecutive_incidents(members, first_number, loop):
    shuffled = sorted(members, key=lambda member: hash((member, first_number)))
    numbers = range(first_number, first_number + len(members))

    picks = Counter(round_robin_pick(shuffled, number, loop) for number in numbers)

    assert picks == Counter(members)


@PROPERTY
@given(
    rules=st.lists(st.tuples(st.integers(1, 1_000), st.integers(0, 120)), max_size=10),
    fired_at=instants,
)
def test_rule_due_times_are_sorted_and_offset_by_their_delay(rules, fired_at):
    timings = rule_due_times(rules, fired_at)
    start = fired_at.astimezone(UTC)  # delays are elapsed time, not wall-clock time

    assert sorted(timings, key=lambda timing: (timing.due, timing.rule_id)) == timings
    expected = Counter((rule_id, start + timedelta(minutes=delay)) for rule_id, delay in rules)
    assert Counter(timings) == expected
