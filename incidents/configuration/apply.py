"""Make the database match a configuration file: its plan, carried out in one transaction.

Every write goes through the services, inside an audit context naming the file (source
`config`, origin the file's name), so that versions move and the log says where each change
came from. A plan with no changes writes nothing at all. Anything a service refuses rolls the
whole file back and is reported at the line of the object in the file (ConfigInvalid).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError

from incidents.models import Service
from incidents.services.service_admin import ServiceConflict
from oncall.audit import audit_context
from oncall.models import ContactMethod, Person
from oncall.models.audit import AuditEntry
from oncall.services import InUse

from . import apply_schedules, apply_services, apply_teams
from .apply_services import NewIntegration
from .compare import ARCHIVE, CREATE, DELETE, UPDATE, Change
from .normal import ConfigInvalid, Loaded, Problem
from .plan import Plan, config_plan

__all__ = ["Applied", "NewIntegration", "config_apply"]

REFUSALS = (ValidationError, InUse, ProtectedError, RestrictedError, ServiceConflict)


@dataclass
class Applied:
    """The plan carried out, and the integrations it made with their tokens (shown once)."""

    plan: Plan
    integrations: list[NewIntegration] = field(default_factory=list)

    @property
    def written(self) -> bool:
        return not self.plan.empty


def config_apply(
    *,
    loaded: Loaded,
    prune: bool,
    trust_verified: bool,
    now: datetime,
    origin: str,
    actor=None,
    token_name: str = "",
) -> Applied:
    """Make the database match `loaded` (see config_plan for what that means), all in one
    transaction; return the plan carried out and the tokens of the integrations it made.
    New contact methods are sent a code once it commits, or with `trust_verified` are taken
    as verified (recorded as such in the audit log)."""
    plan = config_plan(loaded=loaded, prune=prune, now=now, name=origin)
    if plan.empty:
        return Applied(plan=plan)
    run = Applying(now=now, trust_verified=trust_verified, origin=origin)
    with (
        audit_context(
            actor=actor, token_name=token_name, source=AuditEntry.Source.CONFIG, origin=origin
        ),
        transaction.atomic(),
    ):
        _changes_make(run, plan)
    return Applied(plan=plan, integrations=run.integrations)


def _said(error: Exception) -> str:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return "; ".join(
                " ".join(messages) if name == "__all__" else f"{name}: {' '.join(messages)}"
                for name, messages in error.message_dict.items()
            )
        return " ".join(error.messages)
    if isinstance(error, (ProtectedError, RestrictedError)):
        return error.args[0]
    return getattr(error, "message", str(error))


class Applying:
    """One apply under way: its instant and options, what it has looked up, what it made."""

    def __init__(self, *, now: datetime, trust_verified: bool, origin: str):
        self.now = now
        self.trust_verified = trust_verified
        self.origin = origin
        self.integrations: list[NewIntegration] = []
        self._people: dict[str, Person] = {}

    @contextmanager
    def at(self, change: Change):
        """Report a service's refusal at the line of the object it was about."""
        try:
            yield
        except REFUSALS as error:
            problem = Problem(change.line, change.path, f"{change.label}: {_said(error)}")
            raise ConfigInvalid([problem], self.origin) from None

    # --- lookups ------------------------------------------------------------------------------

    def person(self, email: str) -> Person:
        key = email.lower()
        if key not in self._people:
            self._people[key] = (
                Person.objects.select_related("user")
                .filter(user__email__iexact=email)
                .order_by("-user__is_active", "pk")
                .first()
            )
        return self._people[key]

    def contact_method(self, change: Change) -> ContactMethod:
        method = change.wanted or change.current
        return ContactMethod.objects.get(
            person=self.person(change.parent), kind=method["kind"], address=method["address"]
        )

    def service(self, name: str) -> Service:
        return Service.objects.get(name=name, archived_at__isnull=True, rehearsal_of__isnull=True)


# What each change does, in the order references need: who and what is named exists first,
# members join before they take turns, and they leave only once nothing relies on them.
WRITES = (
    (CREATE, "team", apply_teams.team_create),
    (UPDATE, "team", apply_teams.team_update),
    (CREATE, "person", apply_teams.person_write),
    (UPDATE, "person", apply_teams.person_write),
    (CREATE, "contact method", apply_teams.contact_method_write),
    (UPDATE, "contact method", apply_teams.contact_method_write),
    ((CREATE, UPDATE), "team", apply_teams.members_join),
    ((CREATE, UPDATE), "schedule", apply_schedules.schedule_write),
    ((CREATE, UPDATE), "override", apply_schedules.override_write),
    ((CREATE, UPDATE), "escalation policy", apply_services.policy_write),
    ((CREATE, UPDATE), "service", apply_services.service_write),
    ((CREATE, UPDATE), "maintenance window", apply_services.window_write),
    ((CREATE, UPDATE), "integration", apply_services.integration_write),
    (DELETE, "integration", apply_services.integration_delete),
    (DELETE, "maintenance window", apply_services.window_delete),
    (DELETE, "service", apply_services.service_delete),
    (DELETE, "escalation policy", apply_services.policy_delete),
    (DELETE, "override", apply_schedules.override_delete),
    (DELETE, "schedule", apply_schedules.schedule_delete),
    ((CREATE, UPDATE), "team", apply_teams.members_leave),
    (DELETE, "contact method", apply_teams.contact_method_delete),
    (ARCHIVE, "person", apply_teams.person_archive),
)


def _changes_make(run: Applying, plan: Plan) -> None:
    for actions, kind, write in WRITES:
        for change in plan.changes:
            if change.kind == kind and change.action in actions:
                with run.at(change):
                    write(run, change)
