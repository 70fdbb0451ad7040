"""Escalation policies as the engine sees them: a snapshot taken when an incident triggers."""

from __future__ import annotations

from datetime import timedelta

from incidents import escalation
from incidents.models import EscalationPolicy


def policy_snapshot(policy: EscalationPolicy | None) -> dict | None:
    """Return the JSON snapshot of `policy` to copy onto a new incident (None: no policy)."""
    if policy is None:
        return None
    steps = policy.steps.prefetch_related("targets").order_by("position")
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
