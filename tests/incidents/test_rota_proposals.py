"""Fair rota proposals in the product: the options and horizon, gathering a schedule's problem
(time off, holidays, the past 90 days), applying a proposal as overrides (only what differs,
audited, idempotent, all or nothing), the stored proposal's life, and `manage.py rota propose`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from incidents.models import RotaProposal
from incidents.proposals import services
from incidents.proposals.diff import overrides_needed
from incidents.proposals.gathering import proposal_problem
from incidents.proposals.options import Options, OptionsError, horizon_of, options_parse
from incidents.proposals.services import (
    proposal_apply,
    rota_proposal_apply,
    rota_proposal_create,
    rota_proposal_solve,
    rota_proposals_resume,
)
from oncall.models import AuditEntry, CoverRequest, Override, Schedule, TimeOff
from oncall.rota import Shift
from oncall.rota.fair import Rules
from oncall.selectors import shifts_between
from tests.incidents.insights_fixture import incident_at, page_to, team_with_service
from tests.incidents.rota_world import MONDAY, NOW, rota_world

H = timedelta(hours=1)


@pytest.fixture
def world(db):
    return rota_world()


@pytest.fixture
def queued(monkeypatch):
    """Catch the solving task queued on commit: these tests run the worker's step by hand."""
    asked = []
    monkeypatch.setattr(services, "_queue", asked.append)
    return asked


# --- Options and horizon (pure) -----------------------------------------------------------------


def test_options_name_every_bad_field_at_once():
    with pytest.raises(OptionsError) as caught:
        options_parse(
            {"weeks": "0", "start": "Monday", "coverage": "sometimes", "min_rest_hours": "x"}
        )
    assert set(caught.value.errors) == {"weeks", "start", "coverage", "min_rest_hours"}


def test_options_refuse_unknown_names_and_a_naive_start():
    with pytest.raises(OptionsError) as caught:
        options_parse({"weeks": 2, "start": "2027-01-11T00:00", "colour": "red"})
    assert set(caught.value.errors) == {"start", "colour"}


def test_options_set_the_rules_and_keep_the_other_defaults():
    options = options_parse({"weeks": "3", "time_limit_seconds": "1", "seed": 7})
    assert options.weeks == 3
    assert options.rules.time_limit_seconds == 1 and options.rules.seed == 7
    assert options.rules.min_rest_hours == Rules().min_rest_hours


def test_the_horizon_starts_at_the_next_monday_midnight_in_the_schedules_zone():
    # Wednesday 6 January 2027, noon UTC; São Paulo is UTC-3, so its Monday starts at 03:00 UTC.
    since, until = horizon_of(Options(weeks=2), time_zone="America/Sao_Paulo", now=NOW)
    assert since == datetime(2027, 1, 11, 3, tzinfo=UTC)
    assert until == datetime(2027, 1, 25, 3, tzinfo=UTC)


def test_the_horizon_follows_the_wall_clock_across_a_dst_change():
    # Lisbon moves to summer time on 28 March 2027: the fortnight is 335 hours, not 336.
    options = Options(weeks=2, start=date(2027, 3, 22))
    since, until = horizon_of(options, time_zone="Europe/Lisbon", now=NOW)
    assert since == datetime(2027, 3, 22, 0, tzinfo=UTC)
    assert until == datetime(2027, 4, 4, 23, tzinfo=UTC)
    assert until - since == timedelta(hours=335)


# --- Which overrides (pure) ---------------------------------------------------------------------


def test_only_what_differs_becomes_overrides_one_per_proposed_run():
    t = MONDAY
    current = [Shift(t, t + 24 * H, "ana")]
    proposed = [
        Shift(t, t + 8 * H, "ana"),  # already Ana's: nothing
        Shift(t + 8 * H, t + 16 * H, "bruno"),
        Shift(t + 16 * H, t + 20 * H, "wei"),
        Shift(t + 20 * H, t + 24 * H, None),  # uncovered: nothing asked
    ]
    assert overrides_needed(proposed, current, not_before=t) == [
        Shift(t + 8 * H, t + 16 * H, "bruno"),
        Shift(t + 16 * H, t + 20 * H, "wei"),
    ]


def test_a_run_that_differs_in_two_places_is_one_override_and_the_past_is_left_alone():
    t = MONDAY
    current = [
        Shift(t, t + 2 * H, "bruno"),
        Shift(t + 2 * H, t + 4 * H, "ana"),
        Shift(t + 4 * H, t + 6 * H, "bruno"),
    ]
    proposed = [Shift(t, t + 6 * H, "ana")]
    assert overrides_needed(proposed, current, not_before=t) == [Shift(t, t + 6 * H, "ana")]
    assert overrides_needed(proposed, current, not_before=t + 3 * H) == [
        Shift(t + 4 * H, t + 6 * H, "ana")
    ]


# --- Gathering ----------------------------------------------------------------------------------


def test_gathering_reads_the_layers_time_off_holidays_and_past_load(world):
    away = TimeOff.objects.create(
        person=world.bruno, start=MONDAY + 30 * H, end=MONDAY + 54 * H, reason="dentist"
    )
    TimeOff.objects.create(person=world.wei, start=MONDAY - 48 * H, end=MONDAY - 24 * H)
    service = team_with_service("Pay")
    for days in (3, 10, 20):  # 03:00 in São Paulo: sleep hours
        woken = NOW - timedelta(days=days, hours=NOW.hour) + 6 * H
        page_to(incident_at(service, woken, name=f"Disk{days}"), world.ana, woken)
    old = NOW - timedelta(days=120)  # before the 90 days: not counted
    page_to(incident_at(service, old, name="Old"), world.ana, old)

    problem = proposal_problem(
        schedule=world.schedule, options=options_parse({"weeks": 1}), now=NOW
    )

    assert (problem.since, problem.until) == (MONDAY, MONDAY + timedelta(days=7))
    people = {p.key: p for p in problem.participants}
    assert set(people) == {world.ana.pk, world.bruno.pk, world.wei.pk}
    assert people[world.bruno.pk].unavailable == ((away.start, away.end),)
    assert people[world.wei.pk].unavailable == ()  # that time off ended before the horizon
    assert people[world.ana.pk].label == "Ana Souza"
    assert people[world.ana.pk].time_zone == "America/Sao_Paulo"
    # The last 90 days: a weekly turn of three people is on call about a third of the time.
    assert 600 < people[world.ana.pk].past.hours < 900
    assert people[world.ana.pk].past.night > 0
    assert (people[world.ana.pk].past_pages, people[world.ana.pk].past_sleep_pages) == (3, 3)
    assert people[world.bruno.pk].past_pages == 0
    assert {need.candidates for need in problem.needs} == {
        (world.ana.pk, world.bruno.pk, world.wei.pk)
    }
    assert min(n.start for n in problem.needs) == MONDAY
    assert max(n.end for n in problem.needs) == MONDAY + timedelta(days=7)
    # The baseline is the plain weekly turn: one person for the whole week.
    assert {s.person for s in problem.baseline} <= set(people)
    assert problem.baseline[0].start == MONDAY and problem.baseline[-1].end == problem.until


def test_gathering_gives_each_person_their_own_public_holidays(world):
    # Tiradentes (21 April) is Brazil's; 25 April (Freedom Day) Portugal's; Singapore has none.
    options = options_parse({"weeks": 1, "start": "2027-04-19"})
    problem = proposal_problem(schedule=world.schedule, options=options, now=NOW)
    people = {p.key: p for p in problem.participants}
    week = {date(2027, 4, 19) + timedelta(days=n) for n in range(7)}
    assert people[world.ana.pk].holidays & week == {date(2027, 4, 21)}
    assert people[world.bruno.pk].holidays & week == {date(2027, 4, 25)}
    assert people[world.wei.pk].holidays & week == set()


def test_coverage_always_asks_for_every_hour_from_everyone(world):
    options = options_parse({"weeks": 1, "coverage": "always"})
    problem = proposal_problem(schedule=world.schedule, options=options, now=NOW)
    assert sum(((n.end - n.start) for n in problem.needs), timedelta()) == timedelta(days=7)
    assert {frozenset(n.candidates) for n in problem.needs} == {
        frozenset({world.ana.pk, world.bruno.pk, world.wei.pk})
    }


# --- Applying -----------------------------------------------------------------------------------


def _proposed(world):
    """A hand-made Monday, 8 hours each: whoever the layer has on call that week, then the two
    others."""
    t = MONDAY
    first = _final(world)[0][2]
    others = [p.pk for p in (world.ana, world.bruno, world.wei) if p.pk != first]
    return [
        Shift(t, t + 8 * H, first),
        Shift(t + 8 * H, t + 16 * H, others[0]),
        Shift(t + 16 * H, t + 24 * H, others[1]),
    ]


def _final(world, since=MONDAY, until=MONDAY + 24 * H):
    return [
        (s.start, s.end, s.person.pk if s.person else None)
        for s in shifts_between(schedule=world.schedule, since=since, until=until)
    ]


def test_applying_writes_only_what_differs_audited_and_adds_nothing_the_second_time(world):
    on_monday = _final(world)  # the layer's person, all week
    assert len(on_monday) == 1
    made = proposal_apply(schedule=world.schedule, shifts=_proposed(world), now=NOW)

    assert len(made) == 2  # the layer's own person keeps their 8 hours without an override
    assert all(o.person_id != on_monday[0][2] for o in made)
    assert _final(world) == [(s.start, s.end, s.person) for s in _proposed(world)]
    logged = AuditEntry.objects.filter(object_type="override", action="create")
    assert logged.count() == 2

    again = proposal_apply(schedule=world.schedule, shifts=_proposed(world), now=NOW)
    assert again == []
    assert Override.objects.count() == 2
    assert logged.count() == 2


def test_applying_is_all_or_nothing(world):
    shifts = _proposed(world) + [
        Shift(MONDAY + 24 * H, MONDAY + 32 * H, world.stranger.pk)  # not in the team
    ]
    with pytest.raises(ValidationError) as refused:
        proposal_apply(schedule=world.schedule, shifts=shifts, now=NOW)
    assert "person" in str(refused.value)
    assert Override.objects.count() == 0
    assert not AuditEntry.objects.filter(object_type="override").exists()


def test_applying_leaves_the_hours_already_past_alone(world):
    now = MONDAY + 12 * H
    made = proposal_apply(schedule=world.schedule, shifts=_proposed(world), now=now)
    assert min(o.start for o in made) >= now


def test_a_proposal_keeps_time_off_free_so_applying_it_opens_no_cover_request(world):
    """Time off entered before the proposal is a hard rule of the solver: nobody is given a
    shift inside it, so there is nothing for the time-off cover requests to do."""
    away = TimeOff.objects.create(person=world.bruno, start=MONDAY, end=MONDAY + 72 * H)
    options = options_parse({"weeks": 1, "time_limit_seconds": 1, "min_shift_hours": 4})
    made = services.proposal_make(schedule=world.schedule, options=options, now=NOW)
    assert not [
        s
        for s in made.shifts
        if s.person == world.bruno.pk and s.start < away.end and s.end > away.start
    ]
    proposal_apply(schedule=world.schedule, shifts=made.shifts, now=NOW)
    inside = _final(world, away.start, away.end)
    assert world.bruno.pk not in {person for _, _, person in inside}
    assert not CoverRequest.objects.exists()


# --- A stored proposal's life -------------------------------------------------------------------


def test_a_stored_proposal_is_queued_solved_once_and_applied_once(
    world, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        asked = rota_proposal_create(
            schedule=world.schedule,
            raw_options={"weeks": 1, "time_limit_seconds": 1},
            now=NOW,
            created_by=world.admin.user,
        )
    assert asked.status == RotaProposal.Status.SOLVING
    assert queued == [asked.pk]
    assert asked.options == {
        "weeks": 1,
        "start": None,
        "coverage": "layers",
        "time_limit_seconds": 1,
    }

    solved = rota_proposal_solve(proposal_id=asked.pk, now=NOW)
    assert solved.status == RotaProposal.Status.PROPOSED
    result = solved.result
    assert result["solver"]["time_limit_seconds"] == 1
    assert {p["name"] for p in result["people"]} == {"Ana Souza", "Bruno Lima", "Wei Tan"}
    assert result["shifts"][0]["start"] == MONDAY.isoformat()
    assert result["rules_held"]
    assert rota_proposal_solve(proposal_id=asked.pk, now=NOW) is None  # a repeated message

    made = rota_proposal_apply(proposal=solved, now=NOW, applied_by=world.admin.user)
    assert made
    solved.refresh_from_db()
    assert solved.status == RotaProposal.Status.APPLIED
    assert rota_proposal_apply(proposal=solved, now=NOW) == []


def test_a_proposal_not_solved_cannot_be_applied(world, queued):
    asked = rota_proposal_create(schedule=world.schedule, raw_options={"weeks": 1}, now=NOW)
    with pytest.raises(ValidationError):
        rota_proposal_apply(proposal=asked, now=NOW)


def test_a_proposal_that_cannot_be_made_says_why(world, queued, monkeypatch):
    asked = rota_proposal_create(schedule=world.schedule, raw_options={"weeks": 1}, now=NOW)

    def broken(**kwargs):
        raise ValueError("the solver broke")

    monkeypatch.setattr(services, "proposal_make", broken)
    failed = rota_proposal_solve(proposal_id=asked.pk, now=NOW)
    assert failed.status == RotaProposal.Status.FAILED
    assert failed.error == "the solver broke"


def test_a_proposal_held_by_a_worker_is_not_solved_twice(world, queued, monkeypatch):
    asked = rota_proposal_create(
        schedule=world.schedule, raw_options={"weeks": 1, "time_limit_seconds": 1}, now=NOW
    )
    solves = []

    def second_message_arrives(**kwargs):
        # While this worker solves, the same message reaches another worker: it must not
        # start a second solve of the same proposal.
        solves.append(kwargs)
        assert rota_proposal_solve(proposal_id=asked.pk, now=NOW + timedelta(seconds=1)) is None
        return real(**kwargs)

    real = services.proposal_make
    monkeypatch.setattr(services, "proposal_make", second_message_arrives)
    solved = rota_proposal_solve(proposal_id=asked.pk, now=NOW)
    assert solved.status == RotaProposal.Status.PROPOSED
    assert len(solves) == 1
    assert solved.attempts == 1


def test_the_sweep_rings_again_for_a_lost_ring_or_a_dead_worker(world, queued):
    asked = rota_proposal_create(
        schedule=world.schedule, raw_options={"weeks": 1, "time_limit_seconds": 1}, now=NOW
    )
    queued.clear()
    # Just asked: its ring may still be on its way.
    assert rota_proposals_resume(now=NOW + timedelta(seconds=30)) == []
    # A minute on and no worker took it: the ring was lost.
    assert rota_proposals_resume(now=NOW + timedelta(seconds=61)) == [asked.pk]
    assert queued == [asked.pk]
    # A worker takes it, then dies mid-solve: while its lease runs nobody rings.
    RotaProposal.objects.filter(pk=asked.pk).update(
        lease_until=NOW + timedelta(seconds=65), attempts=1
    )
    assert rota_proposals_resume(now=NOW + timedelta(seconds=64)) == []
    assert rota_proposals_resume(now=NOW + timedelta(seconds=66)) == [asked.pk]
    # Solved by the next worker, it is left alone.
    solved = rota_proposal_solve(proposal_id=asked.pk, now=NOW + timedelta(seconds=67))
    assert solved.status == RotaProposal.Status.PROPOSED
    assert rota_proposals_resume(now=NOW + timedelta(hours=1)) == []


def test_a_proposal_whose_worker_keeps_dying_fails_saying_so(world, queued):
    asked = rota_proposal_create(schedule=world.schedule, raw_options={"weeks": 1}, now=NOW)
    RotaProposal.objects.filter(pk=asked.pk).update(lease_until=NOW, attempts=3)
    assert rota_proposal_solve(proposal_id=asked.pk, now=NOW + timedelta(seconds=1)) is None
    asked.refresh_from_db()
    assert asked.status == RotaProposal.Status.FAILED
    assert "stopped 3 times" in asked.error


def test_bad_options_store_nothing(world, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(OptionsError):
        rota_proposal_create(schedule=world.schedule, raw_options={"weeks": 99}, now=NOW)
    assert not RotaProposal.objects.exists() and queued == []


# --- The command --------------------------------------------------------------------------------


def _run(*args) -> str:
    out = StringIO()
    call_command("rota", "propose", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_the_proposal_and_its_report(world, frozen_now):
    frozen_now(NOW)
    out = _run("--schedule", "Ops rota", "--weeks", "1", "--time-limit", "5")
    assert (
        "Fair rota proposal for Ops rota: Mon 11 Jan 2027 00:00 to Mon 18 Jan 2027 00:00 (1 week,"
        in out
    )
    assert "time limit 5 s" in out and "gap to bound" in out
    assert "Mon 11 Jan  00:00-" in out and "Sun 17 Jan" in out
    for name in ("Ana Souza", "Bruno Lima", "Wei Tan", "Team mean", "Spread"):
        assert name in out
    assert "Uncovered hours" in out  # three people cannot hold every rule 24/7: named if so
    assert "Rules held:" in out
    assert not Override.objects.exists()  # a proposal changes nothing by itself


def test_the_command_applies_and_says_how_many(world, frozen_now):
    frozen_now(NOW)
    out = _run("--schedule", "Ops rota", "--weeks", "1", "--time-limit", "5", "--apply")
    count = Override.objects.count()
    assert count > 0
    assert f"Applied: {count} override" in out


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--schedule", "Nope", "--weeks", "1"], "Nope"),
        (["--schedule", "Ops rota", "--weeks", "0"], "weeks"),
        (["--schedule", "Ops rota", "--weeks", "two"], "weeks"),
        (["--schedule", "Ops rota", "--weeks", "1", "--start", "soon"], "start"),
    ],
)
def test_the_command_refuses_bad_input_naming_it(world, args, named):
    with pytest.raises(CommandError, match=named):
        _run(*args)


def test_a_schedule_without_people_has_nothing_to_propose(world, queued):
    empty = Schedule.objects.create(name="Empty", team=world.team)
    with pytest.raises(CommandError, match="Empty has no layer with people"):
        _run("--schedule", "Empty", "--weeks", "1")
    with pytest.raises(ValidationError):
        rota_proposal_create(schedule=empty, raw_options={"weeks": 1}, now=NOW)
    assert not RotaProposal.objects.exists()
