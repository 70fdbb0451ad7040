"""Start a postmortem of one or more incidents, drafted from their record; redraft it later."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from incidents.models import (
    Incident,
    Postmortem,
    PostmortemEntry,
    PostmortemIncident,
    PostmortemSection,
    PostmortemSettings,
)
from oncall.audit import audit_bulk_created
from oncall.models import Person

from .common import acting_as, aware, locked
from .errors import IncidentAlreadyInPostmortem, IncidentsOfSeveralTeams, PostmortemReadOnly
from .record import ALERTS_DRAFTED, alerts_more_text, alerts_origin, entries_drafted, figures

TITLE_MAX = Postmortem._meta.get_field("title").max_length
BATCH = 500


def default_title(incident: Incident) -> str:
    """Return a new postmortem's title: its first incident's, as people say it (#42 Disk full)."""
    return f"#{incident.number} {' '.join(incident.title.split())}"[:TITLE_MAX]


def _incidents(incidents: Sequence[Incident]) -> list[Incident]:
    ids = sorted({incident.pk for incident in incidents})
    if not ids:
        raise ValidationError({"incidents": "Name at least one incident."})
    found = list(Incident.objects.filter(pk__in=ids).select_related("service__team"))
    if len(found) != len(ids):
        raise ValidationError({"incidents": "One of these incidents does not exist."})
    teams = {incident.service.team for incident in found}
    if len(teams) > 1:
        raise IncidentsOfSeveralTeams(teams)
    return sorted(found, key=lambda incident: incident.pk)


def _already(incidents: list[Incident]) -> IncidentAlreadyInPostmortem | None:
    link = (
        PostmortemIncident.objects.filter(incident__in=incidents)
        .select_related("postmortem", "incident")
        .order_by("incident_id")
        .first()
    )
    return IncidentAlreadyInPostmortem(link.incident, link.postmortem) if link else None


def _sections(team_id: int) -> list[dict]:
    settings = PostmortemSettings.objects.filter(team_id=team_id).first()
    return settings.sections if settings is not None else PostmortemSettings().sections


def postmortem_start(
    *, incidents: Sequence[Incident], by: Person | None, now: datetime, title: str = ""
) -> Postmortem:
    """Start a draft postmortem of `incidents` (one team's, none in a postmortem yet), with its
    team's sections and a timeline drafted from the incidents' record."""
    aware(now, "now")
    title = " ".join((title or "").split())
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": f"A title is at most {TITLE_MAX} characters."})
    with acting_as(by), transaction.atomic():
        found = _incidents(incidents)
        refused = _already(found)
        if refused is not None:
            raise refused
        postmortem = Postmortem.objects.create(
            team=found[0].service.team,
            title=title or default_title(found[0]),
            created_by=by,
            created_at=now,
            updated_at=now,
            **figures(found),
        )
        _link(postmortem, found)
        sections = [
            PostmortemSection(
                postmortem=postmortem,
                position=position,
                heading=str(section.get("heading", ""))[:100],
                prompt=str(section.get("prompt", ""))[:300],
            )
            for position, section in enumerate(_sections(postmortem.team_id))
        ]
        _bulk(PostmortemSection, sections)
        _bulk(PostmortemEntry, _drafted(postmortem, found, known=set()))
    return postmortem


def _link(postmortem: Postmortem, incidents: list[Incident]) -> None:
    """Link the incidents; a start for one of them that committed meanwhile wins (the unique
    link of an incident), and this one is refused as if it had come second."""
    links = [PostmortemIncident(postmortem=postmortem, incident=i) for i in incidents]
    try:
        with transaction.atomic():
            PostmortemIncident.objects.bulk_create(links)
    except IntegrityError:
        refused = _already(incidents)
        if refused is None:
            raise
        raise refused from None
    audit_bulk_created(links)


# At one instant, what monitoring sent comes before what it set off, and a delivery receipt
# after; the ids that order a postmortem's entries at one instant follow this.
RANK = {"alert": 0, "timeline": 1, "alerts": 2, "page": 2}


def _drafted(postmortem: Postmortem, incidents: list[Incident], *, known: set[str]) -> list:
    drafted = []
    for incident in incidents:
        for entry in entries_drafted(incident):
            if entry.origin not in known:
                entry.postmortem = postmortem
                drafted.append(entry)
    drafted.sort(key=lambda entry: (entry.at, RANK[entry.origin.split(":")[0]]))
    return drafted


def _bulk(model, objects) -> int:
    """Insert `objects` in batches and record each in the audit log; return how many."""
    count, batch = 0, []
    for obj in objects:
        batch.append(obj)
        if len(batch) == BATCH:
            count += _insert(model, batch)
            batch = []
    return count + (_insert(model, batch) if batch else 0)


def _insert(model, batch: list) -> int:
    model.objects.bulk_create(batch)
    audit_bulk_created(batch)
    return len(batch)


def postmortem_redraft(*, postmortem: Postmortem, now: datetime, by: Person | None = None):
    """Add to the postmortem's timeline what its incidents' record holds that it does not yet
    (later notes, alerts, pages), and bring its figures up to date. Nothing drafted before is
    changed, but for the count of further alerts in an entry nobody edited."""
    aware(now, "now")
    with acting_as(by), transaction.atomic():
        row = locked(postmortem)
        if row.status == Postmortem.Status.PUBLISHED:
            raise PostmortemReadOnly(row)
        incidents = list(row.incidents.order_by("pk"))
        known = dict(row.entries.exclude(origin="").values_list("origin", "pk"))
        added = _bulk(PostmortemEntry, _drafted(row, incidents, known=set(known)))
        _recount_alerts(row, incidents)
        for name, value in figures(incidents).items():
            setattr(row, name, value)
        row.revision += 1
        row.updated_at = now
        row.save(
            update_fields=["began_at", "acknowledged_at", "resolved_at", "revision", "updated_at"]
        )
    row.drafted_added = added
    return row


def _recount_alerts(row: Postmortem, incidents: list[Incident]) -> None:
    summaries = {
        entry.origin: entry
        for entry in row.entries.filter(
            origin__in=[alerts_origin(i.pk) for i in incidents], edited=False
        )
    }
    for incident in incidents:
        entry = summaries.get(alerts_origin(incident.pk))
        if entry is None:
            continue
        count = max(0, incident.alerts.count() - ALERTS_DRAFTED)
        text = alerts_more_text(count)
        if entry.text != text:
            entry.text = text
            entry.save(update_fields=["text"])
