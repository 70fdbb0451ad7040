"""Writes of services and their maintenance windows: made, changed, deleted or archived.

A service that incidents name is never deleted: it is archived, so their history stays whole.
An archived service has no integrations (their tokens stop at once), no escalation policy, and
takes no new incident nor maintenance window.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.models import EscalationPolicy, Incident, MaintenanceWindow, Service
from incidents.services.doorbell import ring_engine
from incidents.services.integrations import integration_delete
from oncall.models import Team

SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,30}$")
MAX_ACK_TIMEOUT_MINUTES = 7 * 24 * 60
MAX_AUTO_RESOLVE_MINUTES = 30 * 24 * 60
SERVICE_FIELDS = (
    "name",
    "description",
    "escalation_policy",
    "urgency_rule",
    "ack_timeout_minutes",
    "auto_resolve_minutes",
    "slack_channel",
)
WINDOW_FIELDS = ("service", "start", "end", "reason")


class ServiceConflict(Exception):
    """The service's state forbids the change (it is archived, or has open incidents).
    `message` is for a person and names what stands in the way."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _problems_of(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}


def _service_check(service: Service) -> None:
    problems: dict[str, list[str]] = {}
    policy = service.escalation_policy
    if policy is not None and policy.team_id != service.team_id:
        problems["escalation_policy"] = ["There is no such escalation policy in the team."]
    if service.slack_channel and not SLACK_CHANNEL.match(service.slack_channel):
        problems["slack_channel"] = [
            f"{service.slack_channel} is not a Slack channel id, such as C0123ABCD."
        ]
    for field, most in (
        ("ack_timeout_minutes", MAX_ACK_TIMEOUT_MINUTES),
        ("auto_resolve_minutes", MAX_AUTO_RESOLVE_MINUTES),
    ):
        value = getattr(service, field)
        if value is not None and not 1 <= value <= most:
            problems[field] = [f"Give 1 to {most} minutes ({most // 1440} days), or null."]
    taken = Service.objects.filter(name=service.name).exclude(pk=service.pk)
    if taken.exists():
        problems["name"] = [f"A service named {service.name} exists already; choose another name."]
    try:
        service.full_clean(validate_unique=False)
    except ValidationError as error:
        for field, messages in _problems_of(error).items():
            problems.setdefault(field, messages)
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def service_create(
    *,
    team: Team,
    name: str,
    description: str = "",
    escalation_policy: EscalationPolicy | None = None,
    urgency_rule: str = Service.UrgencyRule.SEVERITY,
    ack_timeout_minutes: int | None = None,
    auto_resolve_minutes: int | None = None,
    slack_channel: str = "",
) -> Service:
    """Create a service of `team`, paged through `escalation_policy` (one of the team's)."""
    service = Service(
        team=team,
        name=name,
        description=description,
        escalation_policy=escalation_policy,
        urgency_rule=urgency_rule,
        ack_timeout_minutes=ack_timeout_minutes,
        auto_resolve_minutes=auto_resolve_minutes,
        slack_channel=slack_channel,
    )
    _service_check(service)
    service.save()
    return service


def _locked(service: Service) -> Service:
    return Service.objects.select_for_update().select_related("team").get(pk=service.pk)


@transaction.atomic
def service_update(*, service: Service, changes: Mapping[str, object]) -> Service:
    """Change the fields of `service` named in `changes` (any of SERVICE_FIELDS; `team` only if
    it stays the same: a service never moves to another team)."""
    locked = _locked(service)
    if locked.archived_at is not None:
        raise ServiceConflict(f"{locked.name} is archived; it can no longer be changed.")
    team = changes.get("team")
    if team is not None and team != locked.team:
        raise ValidationError(
            {"team": "A service stays in its team; create a new one in the other team instead."}
        )
    for field in SERVICE_FIELDS:
        if field in changes:
            setattr(locked, field, changes[field])
    _service_check(locked)
    locked.save()
    return locked


@transaction.atomic
def service_delete(*, service: Service, now: datetime) -> bool:
    """Delete `service`, or archive it if incidents name it; return whether it was deleted.

    Archiving deletes its integrations (their tokens stop at once) and drops its policy. A
    service with open incidents is refused (ServiceConflict): resolve them first.
    """
    locked = _locked(service)
    if locked.archived_at is not None:
        return False
    still_open = list(
        locked.incidents.filter(status__in=Incident.OPEN)
        .order_by("pk")
        .values_list("pk", flat=True)[:5]
    )
    if still_open:
        numbers = ", ".join(f"#{number}" for number in still_open)
        raise ServiceConflict(
            f"{locked.name} has open incidents ({numbers}); resolve them before deleting it."
        )
    for integration in locked.integrations.all():
        integration_delete(integration=integration)
    if not locked.incidents.exists():
        locked.delete()
        return True
    locked.archived_at = now
    locked.escalation_policy = None
    locked.save()
    return False


def _window_check(window: MaintenanceWindow, *, team_id: int | None = None) -> None:
    problems: dict[str, list[str]] = {}
    if window.service.archived_at is not None:
        problems["service"] = [
            f"{window.service.name} is archived; it takes no maintenance windows."
        ]
    elif team_id is not None and window.service.team_id != team_id:
        problems["service"] = ["There is no such service in the team."]
    for field in ("start", "end"):
        value = getattr(window, field)
        if value is not None and value.utcoffset() is None:
            problems[field] = ["Give a time zone (for example 2026-03-29T09:00:00+01:00)."]
    if not problems:
        try:
            window.full_clean()
        except ValidationError as error:
            problems = _problems_of(error)
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def maintenance_window_create(
    *,
    service: Service,
    start: datetime,
    end: datetime,
    reason: str = "",
    by: AbstractBaseUser | None = None,
) -> MaintenanceWindow:
    """Open a maintenance window on `service` from `start` to `end` (incidents recorded,
    nobody paged)."""
    window = MaintenanceWindow(service=service, start=start, end=end, reason=reason, created_by=by)
    _window_check(window)
    window.save()
    return window


def _held_released(window: MaintenanceWindow, now: datetime) -> None:
    """Make the incidents this window held due now: the engine holds them again if another
    window (or this one, changed) still covers them, and pages for them otherwise."""
    held = Incident.objects.filter(
        service_id=window.service_id,
        status=Incident.Status.TRIGGERED,
        esc_due_at=window.end,
        esc_due_at__gt=now,
    )
    if held.update(esc_due_at=now, esc_rung_for=None, esc_rung_at=None):
        ring_engine()


@transaction.atomic
def maintenance_window_update(
    *, window: MaintenanceWindow, changes: Mapping[str, object], now: datetime
) -> MaintenanceWindow:
    """Change the fields of `window` named in `changes` (any of WINDOW_FIELDS; its service only
    for another of the same team)."""
    locked = (
        MaintenanceWindow.objects.select_for_update().select_related("service").get(pk=window.pk)
    )
    before = MaintenanceWindow(service_id=locked.service_id, end=locked.end)
    team_id = locked.service.team_id
    for field in WINDOW_FIELDS:
        if field in changes:
            setattr(locked, field, changes[field])
    _window_check(locked, team_id=team_id)
    locked.save()
    _held_released(before, now)
    return locked


@transaction.atomic
def maintenance_window_delete(*, window: MaintenanceWindow, now: datetime) -> None:
    """Delete `window`; incidents it held are paged for at once (unless another holds them)."""
    _held_released(window, now)
    window.delete()
