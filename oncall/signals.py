"""Keep Schedule.version moving with every change that alters a rota, whoever makes it (services,
the admin, the demo), so the paging path can reuse a compiled rota while its version stands."""

from __future__ import annotations

from django.db.models import F
from django.db.models.signals import post_delete, post_save

from oncall.models import Layer, LayerMember, LayerRestriction, Override, Schedule


def _bump(**filters) -> None:
    Schedule.objects.filter(**filters).update(version=F("version") + 1)


def schedule_version_bump(*, schedule_id: int) -> None:
    """Move the schedule's version on after a write that sends no signals (bulk_create), in the
    same transaction, so that no process keeps answering from the rota compiled before it."""
    _bump(pk=schedule_id)


def _schedule_changed(sender, instance, **kwargs) -> None:
    _bump(pk=instance.schedule_id)


def _layer_part_changed(sender, instance, **kwargs) -> None:
    _bump(layers__id=instance.layer_id)


def connect() -> None:
    for model in (Layer, Override):
        post_save.connect(_schedule_changed, sender=model, dispatch_uid=f"rota-{model.__name__}")
        post_delete.connect(
            _schedule_changed, sender=model, dispatch_uid=f"rota-d-{model.__name__}"
        )
    for model in (LayerMember, LayerRestriction):
        post_save.connect(_layer_part_changed, sender=model, dispatch_uid=f"rota-{model.__name__}")
        post_delete.connect(
            _layer_part_changed, sender=model, dispatch_uid=f"rota-d-{model.__name__}"
        )
