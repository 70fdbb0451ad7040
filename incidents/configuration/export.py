"""The database as a configuration file: its normal form, read in a fixed number of queries.

What is exported: teams, the active people they name (with contact methods and rules),
schedules (layers, restrictions, overrides not yet ended), escalation policies, services (not
archived, not rehearsal twins) with their maintenance windows not yet ended and integrations
(never a token). Instants are written in the zone a person reads them in: a layer's in the
layer's zone, an override's in its schedule's, a maintenance window's in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q
from django.utils.text import slugify

from incidents.models import EscalationPolicy, Integration, MaintenanceWindow, Service
from oncall.models import ContactMethod, Layer, Override, Person, Schedule, Team

from . import schema
from .normal import ordered


class ExportProblem(ValueError):
    """The database holds something the file cannot say (a person with no e-mail)."""


def config_export(*, now: datetime, teams: Sequence[Team] | None = None) -> dict:
    """Return the configuration of `teams` (all when None) in normal form."""
    team_rows = list(
        (Team.objects.all() if teams is None else Team.objects.filter(pk__in=[t.pk for t in teams]))
        .select_related("manager__user")
        .prefetch_related("memberships__person__user")
    )
    schedules = list(
        Schedule.objects.filter(team__in=team_rows)
        .select_related("team")
        .prefetch_related(
            Prefetch(
                "layers",
                Layer.objects.order_by("position", "id").prefetch_related(
                    "members__person__user", "restrictions"
                ),
            ),
            Prefetch(
                "overrides",
                Override.objects.filter(end__gt=now)
                .select_related("person__user")
                .order_by("start", "id"),
            ),
        )
    )
    policies = list(
        EscalationPolicy.objects.filter(team__in=team_rows)
        .select_related("team")
        .prefetch_related(
            "steps__targets__person__user", "steps__targets__schedule", "steps__targets__team"
        )
    )
    services = list(
        Service.objects.filter(
            team__in=team_rows, archived_at__isnull=True, rehearsal_of__isnull=True
        )
        .select_related("team", "escalation_policy")
        .prefetch_related(
            Prefetch(
                "maintenance",
                MaintenanceWindow.objects.filter(end__gt=now).order_by("start", "id"),
            ),
            Prefetch("integrations", Integration.objects.order_by("id")),
        )
    )
    if teams is None:
        people = Person.objects.filter(user__is_active=True)
    else:
        people = Person.objects.filter(pk__in=_named(team_rows, schedules, policies))
    return ordered(
        {
            "version": schema.VERSION,
            "teams": [_team(team) for team in team_rows],
            "people": _people(people),
            "schedules": [_schedule(schedule) for schedule in schedules],
            "escalation_policies": [_policy(policy) for policy in policies],
            "services": [_service(service) for service in services],
        }
    )


def people_export(*, emails: Iterable[str]) -> list[dict]:
    """Return, in normal form, the active people whose e-mail is one of `emails` (any case)."""
    wanted = Q()
    for email in emails:
        wanted |= Q(user__email__iexact=email)
    if not wanted:
        return []
    return sorted(
        _people(Person.objects.filter(wanted, user__is_active=True)), key=lambda p: p["email"]
    )


def _named(teams, schedules, policies) -> set[int]:
    """Return the ids of everyone the teams, schedules and policies name."""
    ids = {m.person_id for team in teams for m in team.memberships.all()}
    ids |= {team.manager_id for team in teams if team.manager_id}
    for schedule in schedules:
        ids |= {m.person_id for layer in schedule.layers.all() for m in layer.members.all()}
        ids |= {override.person_id for override in schedule.overrides.all()}
    for policy in policies:
        ids |= {
            target.person_id
            for step in policy.steps.all()
            for target in step.targets.all()
            if target.person_id
        }
    return ids


def email_of(person: Person) -> str:
    """Return the e-mail a person is known by in the file."""
    email = person.user.email
    if not email:
        raise ExportProblem(
            f"{person.display_name} (login {person.user.username}) has no e-mail, which is how "
            "the file names people: give them one first."
        )
    return email


def _people(people) -> list[dict]:
    rows = people.select_related("user").prefetch_related(
        Prefetch(
            "contact_methods",
            ContactMethod.objects.order_by("kind", "address").prefetch_related(
                "notification_rules"
            ),
        )
    )
    return [_person(person) for person in rows]


def _person(person: Person) -> dict:
    return {
        "email": email_of(person),
        "name": person.display_name,
        "username": person.user.username,
        "time_zone": person.time_zone,
        "locale": person.locale,
        "holiday_country": person.holiday_country,
        "holiday_subdivision": person.holiday_subdivision,
        "contact_methods": [
            {
                "kind": method.kind,
                "address": method.address,
                "label": method.label,
                "rules": [
                    {"urgency": rule.urgency, "after_minutes": rule.delay_minutes}
                    for rule in method.notification_rules.all()
                ],
            }
            for method in person.contact_methods.all()
        ],
    }


def _team(team: Team) -> dict:
    return {
        "name": team.name,
        "slug": team.slug or slugify(team.name),  # a team made in code may have none
        "slack_channel": team.slack_channel,
        "manager": email_of(team.manager) if team.manager else None,
        "rest_after_sleep_pages": team.rest_after_sleep_pages,
        "rest_notice_nights": team.rest_notice_nights,
        "members": [{"person": email_of(m.person), "role": m.role} for m in team.memberships.all()],
    }


def _in(value: datetime | None, zone: str) -> datetime | None:
    return None if value is None else value.astimezone(ZoneInfo(zone))


def _clock(value: time | timedelta) -> str:
    if isinstance(value, time):
        return f"{value.hour:02d}:{value.minute:02d}"
    minutes = int(value.total_seconds()) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _schedule(schedule: Schedule) -> dict:
    return {
        "name": schedule.name,
        "team": schedule.team.name,
        "time_zone": schedule.time_zone,
        "description": schedule.description,
        "layers": [_layer(layer) for layer in schedule.layers.all()],
        "overrides": [
            {
                "person": email_of(override.person),
                "start": _in(override.start, schedule.time_zone),
                "end": _in(override.end, schedule.time_zone),
                "reason": override.reason,
            }
            for override in schedule.overrides.all()
        ],
    }


def _layer(layer: Layer) -> dict:
    zone = layer.time_zone
    return {
        "name": layer.name,
        "turn_unit": layer.turn_unit,
        "turn_count": layer.turn_count,
        "handoff": _in(layer.handoff, zone),
        "time_zone": zone,
        "active_from": _in(layer.active_from, zone),
        "active_until": _in(layer.active_until, zone),
        "participants": [email_of(member.person) for member in layer.members.all()],
        "restrictions": [
            {
                "kind": restriction.kind,
                "weekday": schema.WEEKDAYS[restriction.start_weekday]
                if restriction.kind == "weekly"
                else "mon",
                "start": _clock(restriction.start_time),
                "duration": _clock(restriction.duration),
            }
            for restriction in layer.restrictions.all()
        ],
    }


def _policy(policy: EscalationPolicy) -> dict:
    return {
        "name": policy.name,
        "team": policy.team.name,
        "repeat": policy.repeat,
        "description": policy.description,
        "steps": [
            {
                "escalate_after_minutes": step.escalate_after_minutes,
                "targets": [_target(target) for target in step.targets.all()],
            }
            for step in policy.steps.all()
        ],
    }


def _target(target) -> dict:
    if target.kind == "person":
        return {"person": email_of(target.person)}
    if target.kind == "schedule":
        return {"schedule": target.schedule.name}
    return {target.kind: target.team.name}


def _service(service: Service) -> dict:
    return {
        "name": service.name,
        "team": service.team.name,
        "description": service.description,
        "escalation_policy": service.escalation_policy.name if service.escalation_policy else None,
        "urgency_rule": service.urgency_rule,
        "ack_timeout_minutes": service.ack_timeout_minutes,
        "auto_resolve_minutes": service.auto_resolve_minutes,
        "slack_channel": service.slack_channel,
        "maintenance_windows": [
            {"start": _in(w.start, "UTC"), "end": _in(w.end, "UTC"), "reason": w.reason}
            for w in service.maintenance.all()
        ],
        "integrations": [
            {
                "kind": integration.kind,
                "name": integration.name,
                "rate_limit_per_second": integration.rate_limit_per_second,
                "heartbeat_interval_seconds": integration.heartbeat_interval_seconds,
            }
            for integration in service.integrations.all()
        ],
    }
