"""Applying a file, part three: escalation policies, services, their maintenance windows and
integrations (a new one's token kept for the caller to show once)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from incidents.models import EscalationPolicy, Integration, MaintenanceWindow
from incidents.services import integrations, policy_admin, service_admin
from oncall.models import Schedule, Team

from .compare import CREATE, UPDATE, Change

if TYPE_CHECKING:
    from .apply import Applying


@dataclass(frozen=True)
class NewIntegration:
    """An integration the file made, with its token: shown once, never stored."""

    service: str
    kind: str
    name: str
    token: str
    url: str


def _steps(run: Applying, steps: list[dict]) -> list[policy_admin.StepSpec]:
    return [
        policy_admin.StepSpec(
            escalate_after_minutes=step["escalate_after_minutes"],
            targets=[_target(run, target) for target in step["targets"]],
        )
        for step in steps
    ]


def _target(run: Applying, target: dict) -> policy_admin.TargetSpec:
    ((kind, name),) = target.items()
    if kind == "person":
        return policy_admin.TargetSpec(kind=kind, person=run.person(name))
    if kind == "schedule":
        return policy_admin.TargetSpec(kind=kind, schedule=Schedule.objects.get(name=name))
    return policy_admin.TargetSpec(kind=kind, team=Team.objects.get(name=name))


def policy_write(run: Applying, change: Change) -> None:
    wanted = change.wanted
    if change.action == CREATE:
        policy_admin.escalation_policy_create(
            team=Team.objects.get(name=wanted["team"]),
            name=wanted["name"],
            steps=_steps(run, wanted["steps"]),
            repeat=wanted["repeat"],
            description=wanted["description"],
        )
        return
    changes = {f.field: f.after for f in change.fields}
    if "steps" in changes:
        changes["steps"] = _steps(run, wanted["steps"])
    policy_admin.escalation_policy_update(
        policy=EscalationPolicy.objects.get(name=change.name), changes=changes
    )


def policy_delete(run: Applying, change: Change) -> None:
    policy_admin.escalation_policy_delete(policy=EscalationPolicy.objects.get(name=change.name))


def _service_fields(run: Applying, values: dict) -> dict:
    if "escalation_policy" in values and values["escalation_policy"] is not None:
        values["escalation_policy"] = EscalationPolicy.objects.get(name=values["escalation_policy"])
    return values


def service_write(run: Applying, change: Change) -> None:
    wanted = change.wanted
    if change.action == CREATE:
        service_admin.service_create(
            team=Team.objects.get(name=wanted["team"]),
            **_service_fields(
                run,
                {
                    key: wanted[key]
                    for key in (
                        "name",
                        "description",
                        "escalation_policy",
                        "urgency_rule",
                        "ack_timeout_minutes",
                        "auto_resolve_minutes",
                        "slack_channel",
                    )
                },
            ),
        )
        return
    service_admin.service_update(
        service=run.service(change.name),
        changes=_service_fields(run, {f.field: f.after for f in change.fields}),
    )


def service_delete(run: Applying, change: Change) -> None:
    service_admin.service_delete(service=run.service(change.name), now=run.now)


def _window(run: Applying, change: Change) -> MaintenanceWindow:
    found = change.wanted or change.current
    return MaintenanceWindow.objects.filter(
        service=run.service(change.parent), start=found["start"], end=found["end"]
    ).first()


def window_write(run: Applying, change: Change) -> None:
    wanted = change.wanted
    if change.action == CREATE:
        service_admin.maintenance_window_create(
            service=run.service(change.parent),
            start=wanted["start"],
            end=wanted["end"],
            reason=wanted["reason"],
        )
    else:
        service_admin.maintenance_window_update(
            window=_window(run, change), changes={"reason": wanted["reason"]}, now=run.now
        )


def window_delete(run: Applying, change: Change) -> None:
    service_admin.maintenance_window_delete(window=_window(run, change), now=run.now)


def _integration(run: Applying, change: Change) -> Integration:
    found = change.wanted or change.current
    return Integration.objects.filter(
        service=run.service(change.parent), kind=found["kind"], name=found["name"]
    ).first()


def integration_write(run: Applying, change: Change) -> None:
    wanted = change.wanted
    if change.action == UPDATE:
        integrations.integration_update(
            integration=_integration(run, change),
            changes={f.field: f.after for f in change.fields},
            now=run.now,
        )
        return
    integration, token = integrations.integration_create(
        service=run.service(change.parent),
        kind=wanted["kind"],
        name=wanted["name"],
        heartbeat_interval_seconds=wanted["heartbeat_interval_seconds"],
        rate_limit_per_second=wanted["rate_limit_per_second"],
        now=run.now,
    )
    run.integrations.append(
        NewIntegration(
            service=change.parent,
            kind=integration.kind,
            name=integration.name,
            token=token,
            url=integrations.integration_url(integration, token),
        )
    )


def integration_delete(run: Applying, change: Change) -> None:
    integrations.integration_delete(integration=_integration(run, change))
