"""A real service's rehearsal twin: same team, same escalation policy and urgency rule, no Slack
channel; its incidents are of kind "rehearsal" (incidents.services.alerts)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from incidents.models import Service

SUFFIX = "-rehearsal"
NAME_MAX = 100  # Service.name


def twin_name(service: Service) -> str:
    return f"{service.name[: NAME_MAX - len(SUFFIX)]}{SUFFIX}"


def twin_for(service: Service) -> Service:
    """Return the rehearsal twin of `service`, made if it has none, and brought in step with it
    (team, policy, urgency rule) at each rehearsal."""
    kept = {
        "team_id": service.team_id,
        "escalation_policy_id": service.escalation_policy_id,
        "urgency_rule": service.urgency_rule,
        "description": f"Rehearsals of {service.name}: pages reach no one."[:200],
        "slack_channel": "",
        "archived_at": None,
    }
    twin = Service.objects.filter(rehearsal_of=service).order_by("pk").first()
    if twin is None:
        try:
            with transaction.atomic():
                return Service.objects.create(name=twin_name(service), rehearsal_of=service, **kept)
        except IntegrityError:
            raise ValidationError(
                {"service": f"A service named {twin_name(service)} exists and is not its twin."}
            ) from None
    changed = [name for name, value in kept.items() if getattr(twin, name) != value]
    for name in changed:
        setattr(twin, name, kept[name])
    if changed:
        twin.save(update_fields=[name.removesuffix("_id") for name in changed])
    return twin
