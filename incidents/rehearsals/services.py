"""Start, finish and remove a rehearsal: its twin and integrations, then its incidents."""

from __future__ import annotations

import json
import numbers
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from incidents.models import Incident, Integration, Page, Rehearsal, Service, TimelineEntry
from incidents.models.choices import Source
from incidents.rehearsals.selectors import rehearsal_incidents
from incidents.rehearsals.twins import twin_for
from incidents.services.integrations import (
    RATE_LIMIT_MAX,
    integration_create,
    integration_delete,
)
from oncall.models import RehearsalSend

# A rehearsal unfinished this long after it started is taken as abandoned: another may start.
ABANDONED_AFTER = timedelta(hours=1)
ALERTS_MAX = 1_000_000
RATE_MAX = 100_000
THRESHOLDS_MAX = 50
REPORT_MAX_BYTES = 256 * 1024
INGEST_KINDS = (Integration.Kind.ALERTMANAGER, Integration.Kind.WEBHOOK, Integration.Kind.PAGERDUTY)
DELETE_BATCH = 500


class RehearsalBusy(Exception):
    """A rehearsal of the service is still running (started less than an hour ago)."""


@dataclass(frozen=True)
class Started:
    """A rehearsal just started, with its ingest endpoints (their tokens shown only here)."""

    rehearsal: Rehearsal
    ingest: dict[str, str]


def _whole(value, name: str, most: int, problems: dict) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= most:
        problems[name] = f"Give a whole number from 1 to {most}."


def _check(*, alerts, rate, shape, follow, thresholds) -> None:
    problems: dict[str, str] = {}
    _whole(alerts, "alerts", ALERTS_MAX, problems)
    _whole(rate, "rate", RATE_MAX, problems)
    if shape not in Rehearsal.Shape.values:
        problems["shape"] = f"Use one of {', '.join(Rehearsal.Shape.values)}."
    if not isinstance(follow, bool):
        problems["follow"] = "Give true or false."
    if not isinstance(thresholds, dict) or len(thresholds) > THRESHOLDS_MAX:
        problems["thresholds"] = f"Give an object of at most {THRESHOLDS_MAX} names and numbers."
    else:
        bad = [
            str(name)[:40]
            for name, value in thresholds.items()
            if len(str(name)) > 100
            or isinstance(value, bool)
            or not isinstance(value, numbers.Real)
        ]
        if bad:
            problems["thresholds"] = f"Each threshold is a number; not so: {', '.join(bad)}."
    if problems:
        raise ValidationError(problems)


def rehearsed_service(name: str | None) -> Service:
    """Return the real service to rehearse: `name`, or the first (by name) that is not archived
    and has an escalation policy. Raise ValidationError naming "service" when there is none."""
    real = Service.objects.filter(rehearsal_of__isnull=True, archived_at__isnull=True)
    if name is None:
        service = real.filter(escalation_policy__isnull=False).order_by("name").first()
        if service is None:
            raise ValidationError({"service": "No service has an escalation policy to rehearse."})
        return service
    if not isinstance(name, str):
        raise ValidationError({"service": "Give a service's name."})
    service = real.filter(name=name).first()
    if service is None:
        raise ValidationError({"service": f"No real, unarchived service is named {name[:100]!r}."})
    if service.escalation_policy_id is None:
        raise ValidationError({"service": f"{service.name} has no escalation policy to rehearse."})
    return service


@transaction.atomic
def rehearsal_start(
    *,
    service: str | None,
    alerts,
    rate,
    shape="steady",
    follow=False,
    thresholds=None,
    by=None,
    now: datetime,
) -> Started:
    """Start a rehearsal of the real service named `service`: its twin, brought in step, with
    fresh integrations (alertmanager, webhook, pagerduty) for this rehearsal alone.

    Raise ValidationError naming the bad field, RehearsalBusy when a rehearsal of the service
    started less than ABANDONED_AFTER ago is unfinished.
    """
    thresholds = {} if thresholds is None else thresholds
    _check(alerts=alerts, rate=rate, shape=shape, follow=follow, thresholds=thresholds)
    real = rehearsed_service(service)
    # Two starts at once: the lock on the real service's row makes the second see the first.
    Service.objects.select_for_update().filter(pk=real.pk).first()
    twin = twin_for(real)
    unfinished = list(Rehearsal.objects.filter(service=twin, finished_at__isnull=True))
    if any(r.started_at > now - ABANDONED_AFTER for r in unfinished):
        raise RehearsalBusy(f"A rehearsal of {real.name} is still running.")
    for abandoned in unfinished:  # its command died: stop its incidents, revoke its endpoints
        rehearsal_finish(rehearsal=abandoned, report=None, passed=None, now=now)
    rehearsal = Rehearsal.objects.create(
        service=twin,
        alerts=alerts,
        rate=rate,
        shape=shape,
        follow=follow,
        thresholds=thresholds,
        created_by=by if by is not None and by.is_authenticated else None,
        started_at=now,
    )
    tokens = {}
    for kind in INGEST_KINDS:
        _, tokens[kind] = integration_create(
            service=twin,
            kind=kind,
            name=integration_name(rehearsal, kind),
            rate_limit_per_second=min(RATE_LIMIT_MAX, max(5000, 2 * rate)),
            now=now,
        )
    kinds = Integration.Kind
    ingest = {
        "alertmanager": reverse("incidents:ingest-alertmanager", args=[tokens[kinds.ALERTMANAGER]]),
        "webhook": reverse("incidents:ingest-webhook", args=[tokens[kinds.WEBHOOK]]),
        "pagerduty": reverse("incidents:ingest-pagerduty"),
        "routing_key": tokens[Integration.Kind.PAGERDUTY],
    }
    return Started(rehearsal=rehearsal, ingest=ingest)


def integration_name(rehearsal: Rehearsal, kind: str) -> str:
    return f"rehearsal {rehearsal.pk} {kind}"


def _integrations(rehearsal: Rehearsal):
    return Integration.objects.filter(
        service_id=rehearsal.service_id, name__startswith=f"rehearsal {rehearsal.pk} "
    )


@transaction.atomic
def rehearsal_finish(
    *, rehearsal: Rehearsal, report: dict | None, passed: bool | None, now: datetime
) -> Rehearsal:
    """Finish a rehearsal: resolve its open incidents (nothing keeps escalating), keep the
    report and whether it passed, and delete its integrations (their tokens stop working).
    Finishing again only replaces the report and the verdict."""
    if report is not None:
        if not isinstance(report, dict):
            raise ValidationError({"report": "Give the report as an object."})
        if len(json.dumps(report).encode()) > REPORT_MAX_BYTES:
            raise ValidationError({"report": f"Keep the report under {REPORT_MAX_BYTES} bytes."})
    if passed is not None and not isinstance(passed, bool):
        raise ValidationError({"passed": "Give true or false."})
    locked = Rehearsal.objects.select_for_update().get(pk=rehearsal.pk)
    if locked.finished_at is None:
        _incidents_resolve(locked, now=now)
        locked.finished_at = now
    if report is not None:
        locked.report = report
    if passed is not None:
        locked.passed = passed
    locked.save()
    for integration in _integrations(locked):
        integration_delete(integration=integration)
    return locked


def _incidents_resolve(rehearsal: Rehearsal, *, now: datetime) -> int:
    """Resolve the rehearsal's open incidents in a few statements, whatever their number.

    The same writes as incident_resolve, for all at once: a storm's thousands one by one would
    keep the request for seconds. Nobody hears of it: rehearsal incidents have no Slack post,
    and their pages reached no one, so there is nothing to update.
    """
    open_ids = list(
        rehearsal_incidents(rehearsal, until=now)
        .filter(status__in=Incident.OPEN)
        .values_list("pk", flat=True)
    )
    for start in range(0, len(open_ids), DELETE_BATCH):
        ids = open_ids[start : start + DELETE_BATCH]
        Incident.objects.filter(pk__in=ids, status__in=Incident.OPEN).update(
            status=Incident.Status.RESOLVED,
            resolved_at=now,
            esc_due_at=None,
            ack_timeout_at=None,
            auto_resolve_at=None,
        )
        Page.objects.filter(incident_id__in=ids, state=Page.State.PENDING).update(
            state=Page.State.CANCELLED
        )
        TimelineEntry.objects.bulk_create(
            TimelineEntry(
                incident_id=pk,
                kind=TimelineEntry.Kind.RESOLVED,
                at=now,
                source=Source.ENGINE,
                message="The rehearsal finished.",
            )
            for pk in ids
        )
    return len(open_ids)


@transaction.atomic
def rehearsal_remove(*, rehearsal: Rehearsal, now: datetime) -> Rehearsal:
    """Delete the rehearsal's incidents (their alerts, pages and timelines with them) and what
    the rehearsal channel recorded of their pages; idempotent."""
    if rehearsal.finished_at is None:  # nothing may keep escalating, or take alerts, meanwhile
        rehearsal_finish(rehearsal=rehearsal, report=None, passed=None, now=now)
    locked = Rehearsal.objects.select_for_update().get(pk=rehearsal.pk)
    ids = list(rehearsal_incidents(locked, until=now).values_list("pk", flat=True))
    for start in range(0, len(ids), DELETE_BATCH):
        batch = ids[start : start + DELETE_BATCH]
        pages = Page.objects.filter(incident_id__in=batch).values_list("pk", flat=True)
        references = [f"page-{pk}" for pk in pages]
        for at in range(0, len(references), DELETE_BATCH):
            RehearsalSend.objects.filter(reference__in=references[at : at + DELETE_BATCH]).delete()
        Incident.objects.filter(pk__in=batch).delete()
    if locked.removed_at is None:
        locked.removed_at = now
        locked.save(update_fields=["removed_at"])
    return locked
