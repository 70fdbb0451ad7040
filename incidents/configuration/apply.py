"""Make the database match a configuration file: its plan, carried out in one transaction.

Every write goes through the services, inside an audit context naming the file (source
`config`, origin the file's name), so that versions move and the log says where each change
came from. A plan with no changes writes nothing at all. Anything a service refuses rolls the
whole file back and is reported at the line of the object in the file (ConfigInvalid).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError

from incidents.models import EscalationPolicy, Integration, MaintenanceWindow, Service
from incidents.services import policy_admin, service_admin
from incidents.services.integrations import (
    integration_create,
    integration_delete,
    integration_update,
    integration_url,
)
from incidents.services.service_admin import ServiceConflict
from oncall import services
from oncall.audit import audit_action, audit_context
from oncall.models import ContactMethod, Membership, Override, Person, Schedule, Team
from oncall.models.audit import AuditEntry
from oncall.services import InUse, LayerSpec, RestrictionSpec

from . import schema
from .compare import ARCHIVE, CREATE, DELETE, UPDATE, Change
from .normal import ConfigInvalid, Loaded, Problem, restriction_minutes
from .plan import Plan, config_plan

ADMIN = Membership.Role.ADMIN
REFUSALS = (ValidationError, InUse, ProtectedError, RestrictedError, ServiceConflict)


@dataclass(frozen=True)
class NewIntegration:
    """An integration the file made, with its token: shown once, never stored."""

    service: str
    kind: str
    name: str
    token: str
    url: str


@dataclass
class Applied:
    plan: Plan
    integrations: list[NewIntegration] = field(default_factory=list)

    @property
    def written(self) -> bool:
        return not self.plan.empty


def config_apply(
    *, loaded: Loaded, prune: bool, trust_verified: bool, now: datetime, origin: str, actor=None
) -> Applied:
    """Make the database match `loaded` (see config_plan for what that means), all in one
    transaction; return the plan carried out and the tokens of the integrations it made.
    New contact methods are sent a code once it commits, or with `trust_verified` are taken
    as verified (recorded as such in the audit log)."""
    plan = config_plan(loaded=loaded, prune=prune, now=now, name=origin)
    if plan.empty:
        return Applied(plan=plan)
    writer = _Writer(plan, now=now, trust_verified=trust_verified, origin=origin)
    with (
        audit_context(actor=actor, source=AuditEntry.Source.CONFIG, origin=origin),
        transaction.atomic(),
    ):
        writer.run()
    return Applied(plan=plan, integrations=writer.integrations)


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


class _Writer:
    """Carry out a plan's changes in the order their references need."""

    def __init__(self, plan: Plan, *, now: datetime, trust_verified: bool, origin: str):
        self.plan = plan
        self.now = now
        self.trust_verified = trust_verified
        self.origin = origin
        self.integrations: list[NewIntegration] = []
        self._people: dict[str, Person] = {}

    def of(self, action: str, kind: str) -> list[Change]:
        return [c for c in self.plan.changes if c.action == action and c.kind == kind]

    @contextmanager
    def at(self, change: Change):
        """Report a service's refusal at the line of the object it was about."""
        try:
            yield
        except REFUSALS as error:
            problem = Problem(change.line, change.path, f"{change.label}: {_said(error)}")
            raise ConfigInvalid([problem], self.origin) from None

    def run(self) -> None:
        teams = self.of(CREATE, "team") + self.of(UPDATE, "team")
        for change in self.of(CREATE, "team"):
            with self.at(change):
                self.team_create(change)
        for change in self.of(UPDATE, "team"):
            with self.at(change):
                self.team_update(change)
        for change in self.of(CREATE, "person") + self.of(UPDATE, "person"):
            with self.at(change):
                self.person_write(change)
        for change in self.of(CREATE, "contact method") + self.of(UPDATE, "contact method"):
            with self.at(change):
                self.contact_method_write(change)
        for change in teams:
            with self.at(change):
                self.members_join(change)
        steps = (
            ("schedule", self.schedule_write),
            ("override", self.override_write),
            ("escalation policy", self.policy_write),
            ("service", self.service_write),
            ("maintenance window", self.window_write),
            ("integration", self.integration_write),
        )
        for kind, write in steps:
            for change in self.of(CREATE, kind) + self.of(UPDATE, kind):
                with self.at(change):
                    write(change)
        for kind, delete in (
            ("integration", self.integration_delete),
            ("maintenance window", self.window_delete),
            ("service", self.service_delete),
            ("escalation policy", self.policy_delete),
            ("override", self.override_delete),
            ("schedule", self.schedule_delete),
        ):
            for change in self.of(DELETE, kind):
                with self.at(change):
                    delete(change)
        for change in teams:
            with self.at(change):
                self.members_leave(change)
        for change in self.of(DELETE, "contact method"):
            with self.at(change):
                services.contact_method_delete(method=self.contact_method(change))
        for change in self.of(ARCHIVE, "person"):
            with self.at(change):
                services.person_archive(person=self.person(change.name), now=self.now)

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

    # --- teams and people ---------------------------------------------------------------------

    def team_create(self, change: Change) -> None:
        wanted = change.wanted
        team = services.team_create(
            name=wanted["name"], slug=wanted["slug"], slack_channel=wanted["slack_channel"]
        )
        rest = {
            key: wanted[key]
            for key in ("rest_after_sleep_pages", "rest_notice_nights")
            if wanted[key] is not None
        }
        if rest:
            services.team_update(team=team, **rest)

    def team_update(self, change: Change) -> None:
        fields = {
            f.field: f.after
            for f in change.fields
            if f.field in ("slug", "slack_channel", "rest_after_sleep_pages", "rest_notice_nights")
        }
        if fields:
            services.team_update(team=Team.objects.get(name=change.name), **fields)

    def _roles(self, change: Change) -> list[tuple[str, str | None, str | None]]:
        """Return each member whose role changes: e-mail, role before, role after (None: out)."""
        if change.action == CREATE:
            return [(m["person"], None, m["role"]) for m in change.wanted["members"]]
        return [
            (f.field.removeprefix("member "), f.before, f.after)
            for f in change.fields
            if f.field.startswith("member ")
        ]

    def members_join(self, change: Change) -> None:
        """Add members and make admins (before anyone steps down: a team keeps an admin), then
        set the manager, who must be a member."""
        team = Team.objects.get(name=change.name)
        for email, before, after in self._roles(change):
            if before is None and after is not None:
                services.team_member_add(team=team, person=self.person(email), role=after)
            elif before is not None and after == ADMIN:
                services.team_member_role_set(membership=self._membership(team, email), role=after)
        manager = change.wanted["manager"]
        if change.action == CREATE and manager is not None or change.changed("manager"):
            services.team_update(team=team, manager=manager and self.person(manager))

    def members_leave(self, change: Change) -> None:
        team = Team.objects.get(name=change.name)
        for email, before, after in self._roles(change):
            if before is not None and after is None:
                services.team_member_remove(membership=self._membership(team, email), now=self.now)
            elif before is not None and after not in (None, ADMIN):
                services.team_member_role_set(membership=self._membership(team, email), role=after)

    def _membership(self, team: Team, email: str) -> Membership:
        return Membership.objects.select_related("person", "team").get(
            team=team, person=self.person(email)
        )

    def person_write(self, change: Change) -> None:
        wanted = change.wanted
        names = {"name": "display_name"}
        if change.action == CREATE:
            person = services.person_create(
                username=wanted["username"],
                display_name=wanted["name"],
                email=wanted["email"],
                time_zone=wanted["time_zone"],
                locale=wanted["locale"],
                holiday_country=wanted["holiday_country"],
                holiday_subdivision=wanted["holiday_subdivision"],
            )
            self._people[wanted["email"].lower()] = person
            return
        services.person_update(
            person=self.person(change.name),
            **{names.get(f.field, f.field): f.after for f in change.fields},
        )

    def contact_method_write(self, change: Change) -> None:
        wanted = change.wanted
        if change.action == CREATE:
            person = self.person(change.parent)
            if self.trust_verified:
                with audit_action("trust_verified"):
                    method = services.contact_method_create(
                        person=person,
                        kind=wanted["kind"],
                        address=wanted["address"],
                        label=wanted["label"],
                        verified=True,
                    )
            else:  # sent its code once this commits
                method = services.contact_method_create(
                    person=person,
                    kind=wanted["kind"],
                    address=wanted["address"],
                    label=wanted["label"],
                )
            rules_before = []
        else:
            method = self.contact_method(change)
            if change.changed("label"):
                services.contact_method_update(method=method, label=wanted["label"])
            if not change.changed("rules"):
                return
            rules_before = change.current["rules"]
        key = lambda rule: (rule["urgency"], rule["after_minutes"])  # noqa: E731
        gone = {key(rule) for rule in rules_before} - {key(rule) for rule in wanted["rules"]}
        for rule in method.notification_rules.all():
            if (rule.urgency, rule.delay_minutes) in gone:
                services.notification_rule_delete(rule=rule)
        had = {key(rule) for rule in rules_before}
        for rule in wanted["rules"]:
            if key(rule) not in had:
                services.notification_rule_create(
                    contact_method=method,
                    delay_minutes=rule["after_minutes"],
                    urgency=rule["urgency"],
                )

    # --- schedules -----------------------------------------------------------------------------

    def _layer_spec(self, layer: dict) -> LayerSpec:
        return LayerSpec(
            name=layer["name"],
            participants=[self.person(email) for email in layer["participants"]],
            turn_unit=layer["turn_unit"],
            turn_count=layer["turn_count"],
            handoff=layer["handoff"],
            time_zone=layer["time_zone"],
            restrictions=[_restriction(r) for r in layer["restrictions"]],
            active_from=layer["active_from"],
            active_until=layer["active_until"],
        )

    def schedule_write(self, change: Change) -> None:
        wanted = change.wanted
        if change.action == CREATE:
            services.schedule_create(
                team=Team.objects.get(name=wanted["team"]),
                name=wanted["name"],
                time_zone=wanted["time_zone"],
                description=wanted["description"],
                layers=[self._layer_spec(layer) for layer in wanted["layers"]],
            )
            return
        schedule = Schedule.objects.get(name=change.name)
        fields = {
            f.field: f.after for f in change.fields if f.field in ("time_zone", "description")
        }
        if fields:
            services.schedule_update(schedule=schedule, **fields)
        layers = list(schedule.layers.order_by("position", "id"))
        old, new = change.current["layers"], wanted["layers"]
        for index, layer in enumerate(new):
            if index >= len(old):
                spec = self._layer_spec(layer)
                services.layer_create(schedule=schedule, **spec.__dict__)
            elif layer != old[index]:
                self._layer_update(layers[index], old[index], layer)
        for stale in layers[len(new) :]:
            services.layer_delete(layer=stale)

    def _layer_update(self, layer, before: dict, after: dict) -> None:
        spec = self._layer_spec(after)
        changes = {}
        for name in ("name", "turn_unit", "turn_count", "handoff", "time_zone"):
            if before[name] != after[name]:
                changes[name] = getattr(spec, name)
        for name in ("active_from", "active_until"):
            if before[name] != after[name]:
                changes[name] = getattr(spec, name)
        if before["participants"] != after["participants"]:
            changes["participants"] = spec.participants
        if before["restrictions"] != after["restrictions"]:
            changes["restrictions"] = spec.restrictions
        services.layer_update(layer=layer, **changes)

    def _override(self, change: Change) -> Override:
        found = change.wanted or change.current
        return Override.objects.filter(
            schedule__name=change.parent,
            person=self.person(found["person"]),
            start=found["start"],
            end=found["end"],
        ).first()

    def override_write(self, change: Change) -> None:
        wanted = change.wanted
        if change.action == CREATE:
            services.override_create(
                schedule=Schedule.objects.get(name=change.parent),
                person=self.person(wanted["person"]),
                start=wanted["start"],
                end=wanted["end"],
                reason=wanted["reason"],
            )
        else:
            services.override_update(override=self._override(change), reason=wanted["reason"])

    def override_delete(self, change: Change) -> None:
        services.override_delete(override=self._override(change))

    def schedule_delete(self, change: Change) -> None:
        services.schedule_delete(schedule=Schedule.objects.get(name=change.name))

    # --- policies and services -----------------------------------------------------------------

    def _steps(self, steps: list[dict]) -> list[policy_admin.StepSpec]:
        return [
            policy_admin.StepSpec(
                escalate_after_minutes=step["escalate_after_minutes"],
                targets=[self._target(target) for target in step["targets"]],
            )
            for step in steps
        ]

    def _target(self, target: dict) -> policy_admin.TargetSpec:
        ((kind, name),) = target.items()
        if kind == "person":
            return policy_admin.TargetSpec(kind=kind, person=self.person(name))
        if kind == "schedule":
            return policy_admin.TargetSpec(kind=kind, schedule=Schedule.objects.get(name=name))
        return policy_admin.TargetSpec(kind=kind, team=Team.objects.get(name=name))

    def policy_write(self, change: Change) -> None:
        wanted = change.wanted
        if change.action == CREATE:
            policy_admin.escalation_policy_create(
                team=Team.objects.get(name=wanted["team"]),
                name=wanted["name"],
                steps=self._steps(wanted["steps"]),
                repeat=wanted["repeat"],
                description=wanted["description"],
            )
            return
        changes = {f.field: f.after for f in change.fields}
        if "steps" in changes:
            changes["steps"] = self._steps(wanted["steps"])
        policy_admin.escalation_policy_update(
            policy=EscalationPolicy.objects.get(name=change.name), changes=changes
        )

    def policy_delete(self, change: Change) -> None:
        policy_admin.escalation_policy_delete(policy=EscalationPolicy.objects.get(name=change.name))

    def _service_fields(self, values: dict) -> dict:
        if "escalation_policy" in values and values["escalation_policy"] is not None:
            values["escalation_policy"] = EscalationPolicy.objects.get(
                name=values["escalation_policy"]
            )
        return values

    def service_write(self, change: Change) -> None:
        wanted = change.wanted
        if change.action == CREATE:
            service_admin.service_create(
                team=Team.objects.get(name=wanted["team"]),
                **self._service_fields(
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
                    }
                ),
            )
            return
        service_admin.service_update(
            service=self.service(change.name),
            changes=self._service_fields({f.field: f.after for f in change.fields}),
        )

    def service_delete(self, change: Change) -> None:
        service_admin.service_delete(service=self.service(change.name), now=self.now)

    def _window(self, change: Change) -> MaintenanceWindow:
        found = change.wanted or change.current
        return MaintenanceWindow.objects.filter(
            service=self.service(change.parent), start=found["start"], end=found["end"]
        ).first()

    def window_write(self, change: Change) -> None:
        wanted = change.wanted
        if change.action == CREATE:
            service_admin.maintenance_window_create(
                service=self.service(change.parent),
                start=wanted["start"],
                end=wanted["end"],
                reason=wanted["reason"],
            )
        else:
            service_admin.maintenance_window_update(
                window=self._window(change), changes={"reason": wanted["reason"]}, now=self.now
            )

    def window_delete(self, change: Change) -> None:
        service_admin.maintenance_window_delete(window=self._window(change), now=self.now)

    def _integration(self, change: Change) -> Integration:
        found = change.wanted or change.current
        return Integration.objects.filter(
            service=self.service(change.parent), kind=found["kind"], name=found["name"]
        ).first()

    def integration_write(self, change: Change) -> None:
        wanted = change.wanted
        if change.action == UPDATE:
            integration_update(
                integration=self._integration(change),
                changes={f.field: f.after for f in change.fields},
                now=self.now,
            )
            return
        integration, token = integration_create(
            service=self.service(change.parent),
            kind=wanted["kind"],
            name=wanted["name"],
            heartbeat_interval_seconds=wanted["heartbeat_interval_seconds"],
            rate_limit_per_second=wanted["rate_limit_per_second"],
            now=self.now,
        )
        self.integrations.append(
            NewIntegration(
                service=change.parent,
                kind=integration.kind,
                name=integration.name,
                token=token,
                url=integration_url(integration, token),
            )
        )

    def integration_delete(self, change: Change) -> None:
        integration_delete(integration=self._integration(change))


def _restriction(restriction: dict) -> RestrictionSpec:
    hours, minutes = (int(part) for part in restriction["start"].split(":"))
    return RestrictionSpec(
        kind=restriction["kind"],
        start_time=time(hours, minutes),
        duration=restriction_minutes(restriction["duration"]),
        start_weekday=schema.WEEKDAYS.index(restriction["weekday"]),
    )
