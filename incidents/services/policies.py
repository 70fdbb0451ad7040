"""Escalation policies as the engine sees them: a snapshot taken when an incident triggers."""

from __future__ import annotations

from datetime import timedelta

from incidents import escalation
from incidents.models import EscalationPolicy, EscalationStep

# Snapshots this process made, by policy id: (version, snapshot). Reused while the version stands.
_snapshots: dict[int, tuple[int, dict]] = {}


def snapshots_forget() -> None:
    """Drop every snapshot this process keeps (between tests)."""
    _snapshots.clear()


def policy_snapshot(policy: EscalationPolicy | None) -> dict | None:
    """Return the JSON snapshot of `policy` to copy onto a new incident (None: no policy).

    `policy` must be freshly read (its version current): a snapshot kept for that version is
    reused; a policy changed since is read again.
    """
    if policy is None:
        return None
    kept = _snapshots.get(policy.pk)
    if kept is not None and kept[0] == policy.version:
        return kept[1]
    snapshot = _snapshot_build(policy)
    _snapshots[policy.pk] = (policy.version, snapshot)
    return snapshot


def policy_snapshots_keep(policies) -> None:
    """Build and keep the snapshots of `policies` not kept at their version yet: two queries
    for all of them (the engine fires many incidents of many services at once). A policy whose
    snapshot cannot be built is left for policy_snapshot to report."""
    missing = {
        policy.pk: policy
        for policy in policies
        if policy is not None and _snapshots.get(policy.pk, (None,))[0] != policy.version
    }
    if not missing:
        return
    steps: dict[int, list] = {}
    for step in (
        EscalationStep.objects.filter(policy__in=list(missing))
        .prefetch_related("targets")
        .order_by("policy_id", "position")
    ):
        steps.setdefault(step.policy_id, []).append(step)
    for pk, policy in missing.items():
        try:
            snapshot = _snapshot_of(policy, steps.get(pk, []))
        except escalation.EscalationError:
            continue
        _snapshots[pk] = (policy.version, snapshot)


def _snapshot_build(policy: EscalationPolicy) -> dict:
    return _snapshot_of(policy, policy.steps.prefetch_related("targets").order_by("position"))


def _snapshot_of(policy: EscalationPolicy, steps) -> dict:
    return escalation.policy_to_snapshot(
        escalation.Policy(
            steps=tuple(
                escalation.Step(
                    escalate_after=timedelta(minutes=step.escalate_after_minutes),
                    targets=tuple(
                        escalation.Target(kind=t.kind, id=t.subject_id) for t in step.targets.all()
                    ),
                )
                for step in steps
            ),
            repeat=policy.repeat,
        )
    )
