"""Write audit entries: for each registered model, every create, update and delete, from model
signals, whoever makes it (services, the admin, the demo); and entries named by hand.

post_init keeps the audited values an instance was loaded with (a small dict, no query), so that
post_save can say what an update changed; pre_delete reads the team and description while the
rows they come from still exist, and post_delete writes the entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.signals import post_delete, post_init, post_save, pre_delete, pre_save

from oncall import clock
from oncall.audit.context import Actor, acting, actor_of, verb
from oncall.audit.values import field_value, json_value, resolve
from oncall.models.audit import CREATE, DELETE, UPDATE, AuditEntry

# Never recorded, whatever a registration asks: the log must not become a copy of the secrets.
SECRET_WORDS = ("digest", "password", "secret", "verification")
_BEFORE = "_audit_before"  # an instance's audited values as last loaded or saved
_DELETING = "_audit_deleting"  # what pre_delete found out, for post_delete
_MEMO = "_audit_memo"  # teams and people looked up during one delete (a cascade asks often)


@dataclass(frozen=True)
class Audited:
    """How one model is audited."""

    model: type[models.Model]
    object_type: str
    fields: tuple[models.Field, ...]
    attnames: tuple[str, ...]
    team: str | None  # a lookup path from the object to its team's id, e.g. "schedule__team"
    person: str | None  # the same, to the person who owns the object


_registry: dict[type[models.Model], Audited] = {}


def audit_register(
    model: type[models.Model],
    *,
    team: str | None = None,
    person: str | None = None,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    object_type: str | None = None,
) -> None:
    """Record every create, update and delete of `model`.

    `team` and `person` are lookup paths to the team and the owning person ("pk" for the object
    itself): who may read its entries. The fields recorded are the concrete, editable ones, plus
    `include` (non-editable fields that matter, such as revoked_at), less `exclude`.
    """
    include, exclude = set(include), set(exclude)
    fields = tuple(
        field
        for field in model._meta.concrete_fields
        if (field.name in include or (field.editable and not field.primary_key))
        and field.name not in exclude
    )
    secret = [f.name for f in fields if any(word in f.name for word in SECRET_WORDS)]
    if secret:
        raise ImproperlyConfigured(f"The audit log never records secrets: {', '.join(secret)}.")
    spec = Audited(
        model=model,
        object_type=object_type or re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower(),
        fields=fields,
        attnames=tuple(field.attname for field in fields),
        team=team,
        person=person,
    )
    _registry[model] = spec
    uid = f"audit-{model._meta.label}"
    post_init.connect(_snapshot, sender=model, dispatch_uid=f"{uid}-init")
    pre_save.connect(_before_save, sender=model, dispatch_uid=f"{uid}-pre-save")
    post_save.connect(_saved, sender=model, dispatch_uid=f"{uid}-save")
    pre_delete.connect(_deleting, sender=model, dispatch_uid=f"{uid}-pre-delete")
    post_delete.connect(_deleted, sender=model, dispatch_uid=f"{uid}-delete")


def audited_object_types() -> list[str]:
    """Return the object types of the registered models."""
    return [spec.object_type for spec in _registry.values()]


def _values(spec: Audited, values: dict) -> dict:
    return {
        field.name: field_value(field, values[field.attname])
        for field in spec.fields
        if field.attname in values
    }


def _current(spec: Audited, instance) -> dict:
    found = instance.__dict__
    return {name: found[name] for name in spec.attnames if name in found}


def _about(spec: Audited, instance, memo: dict) -> dict:
    """Return which object `instance` is, and whose, as an entry names it."""
    return {
        "object_type": spec.object_type,
        "object_id": str(instance.pk),
        "object_repr": str(instance)[:200],
        "team_id": resolve(instance, spec.team, memo),
        "person_id": resolve(instance, spec.person, memo),
    }


def _entry(*, action: str, changes: dict, about: dict, actor: Actor, source: str) -> AuditEntry:
    return AuditEntry(
        at=clock.now(),
        actor=actor.username,
        actor_user_id=actor.user_id,
        actor_name=actor.name,
        token_name=actor.token_name,
        origin=actor.origin[:200],
        source=source,
        action=action,
        changes=changes,
        **about,
    )


def _write(*, action: str, changes: dict, about: dict) -> None:
    now = acting()
    _entry(
        action=verb() or action, changes=changes, about=about, actor=now.actor(), source=now.source
    ).save()


# Signals


def _snapshot(sender, instance, **kwargs) -> None:
    instance.__dict__[_BEFORE] = _current(_registry[sender], instance)


def _before_save(sender, instance, raw=False, **kwargs) -> None:
    """Read the stored values that the instance does not know (deferred fields, or an instance
    made anew over an existing row), so the update's "before" is what was stored."""
    if raw or instance.pk is None:
        return
    spec = _registry[sender]
    before = instance.__dict__.get(_BEFORE, {})
    fresh = instance._state.adding
    if not fresh and all(name in before for name in spec.attnames):
        return
    stored = sender._base_manager.filter(pk=instance.pk).values(*spec.attnames).first()
    if stored is not None:
        instance.__dict__[_BEFORE] = stored if fresh else stored | before


def _saved(sender, instance, created, raw=False, update_fields=None, **kwargs) -> None:
    if raw:
        return
    spec = _registry[sender]
    current = _current(spec, instance)
    if created:
        _write(action=CREATE, changes=_values(spec, current), about=_about(spec, instance, {}))
        instance.__dict__[_BEFORE] = current
        return
    before = instance.__dict__.setdefault(_BEFORE, {})
    changes = {}
    for field in spec.fields:
        if field.attname not in current or not (
            update_fields is None or field.name in update_fields or field.attname in update_fields
        ):
            continue  # not saved: an update_fields save leaves other edits unsaved
        old, new = before.get(field.attname), current[field.attname]
        before[field.attname] = new
        if old == new:
            continue
        old, new = field_value(field, old), field_value(field, new)
        if old != new:
            changes[field.name] = [old, new]
    if changes:
        _write(action=UPDATE, changes=changes, about=_about(spec, instance, {}))


def _deleting(sender, instance, origin=None, **kwargs) -> None:
    spec = _registry[sender]
    # One memo per delete: a cascade asks for the same layer's team once, not once per member.
    memo = origin.__dict__.setdefault(_MEMO, {}) if origin is not None else {}
    values = instance.__dict__.get(_BEFORE) or _current(spec, instance)
    instance.__dict__[_DELETING] = (_about(spec, instance, memo), _values(spec, values))


def _deleted(sender, instance, **kwargs) -> None:
    found = instance.__dict__.pop(_DELETING, None)
    if found is not None:
        about, values = found
        _write(action=DELETE, changes=values, about=about)


# By hand


def audit_bulk_created(objects: Sequence[models.Model]) -> None:
    """Record the creation of `objects` saved with bulk_create (which sends no signals), in one
    bulk insert. Objects of models not audited are passed over."""
    now = acting()
    actor, source, memo = now.actor(), now.source, {}
    entries = []
    for instance in objects:
        spec = _registry.get(type(instance))
        if spec is None:
            continue
        current = _current(spec, instance)
        entries.append(
            _entry(
                action=verb() or CREATE,
                changes=_values(spec, current),
                about=_about(spec, instance, memo),
                actor=actor,
                source=source,
            )
        )
        instance.__dict__[_BEFORE] = current
    if entries:
        AuditEntry.objects.bulk_create(entries)


def audit_record(
    *,
    action: str,
    object_type: str,
    object_id,
    object_repr: str = "",
    team_id: int | None = None,
    person_id: int | None = None,
    changes: dict | None = None,
    actor=None,
    source: str | None = None,
) -> AuditEntry:
    """Record one entry named by hand (an incident action, a write no model signal sees).

    `actor` (a user) and `source` default to the audit context's; the token name is always the
    context's.
    """
    now = acting()
    context_actor = now.actor()
    entry = _entry(
        action=action,
        changes=json_value(changes or {}),
        about={
            "object_type": object_type,
            "object_id": str(object_id),
            "object_repr": str(object_repr)[:200],
            "team_id": team_id,
            "person_id": person_id,
        },
        actor=context_actor
        if actor is None
        else replace(actor_of(actor, context_actor.token_name), origin=context_actor.origin),
        source=source or now.source,
    )
    entry.save()
    return entry
