"""Writes: ask for a fair rota proposal, solve it (a worker, seconds), and apply one to its
schedule as overrides."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q

from incidents.models import RotaProposal
from incidents.proposals.diff import overrides_needed
from incidents.proposals.gathering import proposal_problem, schedule_layers
from incidents.proposals.options import Options, horizon_of, options_json, options_parse
from incidents.proposals.results import proposal_json, shifts_of
from incidents.services import doorbell
from oncall import rota
from oncall.models import Override, Person, Schedule
from oncall.rota import fair
from oncall.selectors import shifts_between
from oncall.services import OverrideSpec, overrides_create

log = logging.getLogger(__name__)

REASON = "Fair rota proposal"
# A solve holds its proposal for its time limit and this margin (gathering, saving); past
# that, the worker is taken as gone and the sweep rings again, at most MAX_ATTEMPTS times.
LEASE_MARGIN = timedelta(seconds=60)
MAX_ATTEMPTS = 3
# A proposal asked this long ago with no worker on it yet has had its ring lost.
RING_LOST_AFTER = timedelta(seconds=60)


def proposal_make(*, schedule: Schedule, options: Options, now: datetime) -> fair.Proposal:
    """Gather `schedule`'s problem over the options' horizon and solve it (seconds)."""
    return fair.propose(proposal_problem(schedule=schedule, options=options, now=now))


@transaction.atomic
def proposal_apply(
    *,
    schedule: Schedule,
    shifts: Sequence[rota.Shift],
    now: datetime,
    created_by=None,
    reason: str = REASON,
) -> list[Override]:
    """Make `schedule` say what the proposed `shifts` (person keys) say from `now` on: one
    override per proposed run that differs from the final schedule, all saved or none. What the
    schedule already says adds nothing, so applying the same proposal again adds nothing."""
    covered = [s for s in shifts if s.person is not None and s.end > now]
    if not covered:
        return []
    since = max(now, min(s.start for s in covered))
    until = max(s.end for s in covered)
    current = [
        rota.Shift(s.start, s.end, s.person.pk if s.person else None)
        for s in shifts_between(schedule=schedule, since=since, until=until)
    ]
    needed = overrides_needed(covered, current, not_before=now)
    if not needed:
        return []
    people = Person.objects.in_bulk({s.person for s in needed})
    missing = sorted({s.person for s in needed} - set(people))
    if missing:
        raise ValidationError({"shifts": [f"Person {pk} no longer exists." for pk in missing]})
    specs = [OverrideSpec(people[s.person], s.start, s.end, reason) for s in needed]
    return overrides_create(schedule=schedule, overrides=specs, created_by=created_by)


@transaction.atomic
def rota_proposal_create(
    *, schedule: Schedule, raw_options: dict, now: datetime, created_by=None
) -> RotaProposal:
    """Record a proposal asked for `schedule` (options checked: OptionsError naming the field)
    and queue its solving on commit."""
    options = options_parse(raw_options)
    if not schedule_layers(schedule=schedule):
        raise ValidationError({"schedule": [f"{schedule.name} has no layer with people in it."]})
    since, until = horizon_of(options, time_zone=schedule.time_zone, now=now)
    proposal = RotaProposal.objects.create(
        schedule=schedule,
        since=since,
        until=until,
        options=options_json(options),
        created_by=created_by,
        created_at=now,
    )
    transaction.on_commit(lambda: _queue(proposal.pk))
    return proposal


def _queue(proposal_id: int) -> None:
    doorbell.publish(doorbell.ROTA_PROPOSAL_SOLVE, [proposal_id])


def rota_proposal_solve(*, proposal_id: int, now: datetime) -> RotaProposal | None:
    """Solve a proposal still solving that no other worker holds (a repeated message does
    nothing): its answer, or why it failed. Reads the load up to `now`; holds no transaction
    while the solver runs."""
    proposal = (
        RotaProposal.objects.select_related("schedule")
        .filter(pk=proposal_id, status=RotaProposal.Status.SOLVING)
        .first()
    )
    if proposal is None:
        return None
    free = Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    if proposal.attempts >= MAX_ATTEMPTS:
        RotaProposal.objects.filter(
            free, pk=proposal_id, status=RotaProposal.Status.SOLVING
        ).update(
            status=RotaProposal.Status.FAILED,
            error=f"The worker stopped {MAX_ATTEMPTS} times while solving it; ask again.",
            solved_at=now,
        )
        return None
    # The options were checked when the proposal was asked; only the rules that differ from
    # the defaults are stored.
    seconds = proposal.options.get("time_limit_seconds") or fair.Rules.time_limit_seconds
    claimed = RotaProposal.objects.filter(
        free, pk=proposal_id, status=RotaProposal.Status.SOLVING
    ).update(
        lease_until=now + timedelta(seconds=float(seconds)) + LEASE_MARGIN,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None  # another worker holds it
    try:
        made = proposal_make(
            schedule=proposal.schedule, options=options_parse(proposal.options), now=now
        )
    except Exception as error:  # noqa: BLE001 - recorded on the proposal, and logged
        log.exception("rota proposal %s failed", proposal_id)
        RotaProposal.objects.filter(pk=proposal_id, status=RotaProposal.Status.SOLVING).update(
            status=RotaProposal.Status.FAILED, error=str(error)[:500], solved_at=now
        )
        proposal.refresh_from_db()
        return proposal
    RotaProposal.objects.filter(pk=proposal_id, status=RotaProposal.Status.SOLVING).update(
        result=proposal_json(made), status=RotaProposal.Status.PROPOSED, solved_at=now
    )
    proposal.refresh_from_db()
    return proposal


def rota_proposals_resume(*, now: datetime) -> list[int]:
    """Ring again for every proposal still solving whose ring was lost or whose worker is
    gone (its lease ran out); return their ids. Safe to run twice: the solve claims."""
    stalled = RotaProposal.objects.filter(status=RotaProposal.Status.SOLVING).filter(
        Q(lease_until__isnull=True, created_at__lte=now - RING_LOST_AFTER) | Q(lease_until__lte=now)
    )
    ids = list(stalled.values_list("pk", flat=True))
    for proposal_id in ids:
        _queue(proposal_id)
    return ids


@transaction.atomic
def rota_proposal_apply(*, proposal: RotaProposal, now: datetime, applied_by=None) -> list:
    """Apply a solved proposal to its schedule (proposal_apply) and mark it applied; applying
    it again adds nothing."""
    locked = RotaProposal.objects.select_for_update().select_related("schedule").get(pk=proposal.pk)
    if locked.status not in (RotaProposal.Status.PROPOSED, RotaProposal.Status.APPLIED):
        raise ValidationError({"status": [f"This proposal is {locked.status}: nothing to apply."]})
    made = proposal_apply(
        schedule=locked.schedule, shifts=shifts_of(locked.result), now=now, created_by=applied_by
    )
    if locked.status != RotaProposal.Status.APPLIED:
        locked.status = RotaProposal.Status.APPLIED
        locked.applied_at, locked.applied_by = now, applied_by
        locked.save(update_fields=["status", "applied_at", "applied_by"])
    proposal.status, proposal.applied_at = locked.status, locked.applied_at
    return made
