"""The audit log: every change to the configuration, and every incident action, with who made it,
through what (api, web, admin, shell, sms, ...), when, and what changed.

- Models are registered once (`audit_register`, from each app's ready()); their saves and
  deletes are then recorded by model signals, whoever makes them. bulk_create sends no signals:
  call `audit_bulk_created(objects)` after it (one bulk insert).
- Who acts comes from the audit context: a request sets itself (AuditMiddleware), a Celery task
  is the engine, a command may say `with audit_context(actor=user, source="shell")`.
- `audit_action("rotate_token")` names what a save inside it does; `audit_record(...)` writes an
  entry by hand (incident actions).
"""

from oncall.audit.context import AuditMiddleware, audit_action, audit_context, request_acting
from oncall.audit.recording import (
    audit_bulk_created,
    audit_record,
    audit_register,
    audited_object_types,
)
from oncall.audit.values import json_value

__all__ = [
    "AuditMiddleware",
    "audit_action",
    "audit_bulk_created",
    "audit_context",
    "audit_record",
    "audit_register",
    "audited_object_types",
    "json_value",
    "request_acting",
]
