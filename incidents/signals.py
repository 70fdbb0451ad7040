"""Keep EscalationPolicy.version moving with every saved or deleted change to a policy, its steps
or their targets, whoever makes it (services, the admin, the demo), so the engine can reuse a
policy's snapshot while its version stands; and tell the lower layer which policies still page a
schedule it is asked to delete."""

from __future__ import annotations

from django.db.models import F
from django.db.models.signals import post_delete, post_save

from incidents.models import EscalationPolicy, EscalationStep, EscalationTarget
from oncall.models import Schedule
from oncall.services.schedules import schedule_used_by


def _bump(**filters) -> None:
    EscalationPolicy.objects.filter(**filters).update(version=F("version") + 1)


def _policy_changed(sender, instance, **kwargs) -> None:
    _bump(pk=instance.pk)


def _step_changed(sender, instance, **kwargs) -> None:
    _bump(pk=instance.policy_id)


def _target_changed(sender, instance, **kwargs) -> None:
    _bump(steps__id=instance.step_id)


def _policies_paging(sender, schedule, **kwargs) -> list[str]:
    policies = EscalationPolicy.objects.filter(steps__targets__schedule=schedule).distinct()
    return [f"escalation policy {name}" for name in policies.values_list("name", flat=True)]


def connect() -> None:
    schedule_used_by.connect(_policies_paging, sender=Schedule, dispatch_uid="policies-paging")
    for model, receiver in (
        (EscalationPolicy, _policy_changed),
        (EscalationStep, _step_changed),
        (EscalationTarget, _target_changed),
    ):
        for signal in (post_save, post_delete):
            signal.connect(receiver, sender=model, dispatch_uid=f"policy-{signal}-{model.__name__}")
