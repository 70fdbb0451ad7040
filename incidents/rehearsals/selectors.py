"""What a rehearsal's server recorded, read in a handful of queries whatever its size: progress,
and raw measurements (seconds) for the client to turn into percentiles and histograms."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from django.db.models import CharField, Count, Max, Min, Q
from django.db.models.functions import Cast, Substr

from incidents.models import Alert, Incident, Page, Rehearsal, TimelineEntry
from oncall import clock
from oncall.models import RehearsalSend

DONE = (Page.State.SENT, Page.State.DELIVERED, Page.State.FAILED, Page.State.CANCELLED)
LEFT = (Page.State.SENT, Page.State.DELIVERED)
OPEN = (Page.State.PENDING, Page.State.SENDING)


def rehearsal_incidents(rehearsal: Rehearsal, *, until: datetime | None = None):
    """Return the rehearsal's incidents: its twin's, created while it ran."""
    end = rehearsal.finished_at or until or clock.now()
    return Incident.objects.filter(
        service_id=rehearsal.service_id, created_at__gte=rehearsal.started_at, created_at__lte=end
    )


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier).total_seconds(), 6)


def _fired_steps(incident_ids) -> dict[int, list[dict]]:
    """Each incident's fired steps, in order: {"step", "loop", "at", "due_at"}."""
    fired: dict[int, list[dict]] = defaultdict(list)
    for incident_id, at, data in (
        TimelineEntry.objects.filter(
            incident_id__in=incident_ids, kind=TimelineEntry.Kind.ESCALATED
        )
        .order_by("at", "id")
        .values_list("incident_id", "at", "data")
    ):
        data = data or {}
        due = data.get("due_at")
        fired[incident_id].append(
            {
                "step": data.get("step", 0),
                "loop": data.get("loop", 0),
                "at": at,
                "due_at": datetime.fromisoformat(due) if due else None,
            }
        )
    return fired


def rehearsal_records(rehearsal: Rehearsal, *, now: datetime | None = None) -> dict:
    """Return {"progress": ..., "records": ...} for the rehearsal (see the API's description)."""
    now = now or clock.now()
    incidents = rehearsal_incidents(rehearsal, until=now)
    ids = incidents.values("pk")
    rows = list(incidents.values_list("pk", "created_at", "first_paged_at"))
    first_alert = dict(
        Alert.objects.filter(incident_id__in=ids)
        .values("incident_id")
        .annotate(first=Min("received_at"))
        .values_list("incident_id", "first")
    )
    # Per (incident, step, loop): whether every page is done, and when its last one left. Grouped
    # in SQL: a storm's tens of thousands of page rows come back as one row a fired step.
    pages = {
        (incident_id, step, loop): (undone == 0, last)
        for incident_id, step, loop, undone, last in Page.objects.filter(incident_id__in=ids)
        .values("incident_id", "step", "loop")
        .annotate(
            undone=Count("pk", filter=~Q(state__in=DONE)),
            last=Max("sent_at", filter=Q(state__in=LEFT)),
        )
        .order_by()
        .values_list("incident_id", "step", "loop", "undone", "last")
    }
    by_kind: Counter = Counter()
    failed = open_pages = total = 0
    for kind, state, n in (
        Page.objects.filter(incident_id__in=ids)
        .values("kind", "state")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("kind", "state", "n")
    ):
        total += n
        by_kind[kind] += n
        failed += n if state == Page.State.FAILED else 0
        open_pages += n if state in OPEN else 0
    fired = _fired_steps(ids)
    per_second = alerts_per_second(ids, since=rehearsal.started_at)
    # Every page that left carries the provider id the rehearsal channel recorded; any other
    # went through a real provider.
    real_sends = (
        Page.objects.filter(incident_id__in=ids)
        .exclude(provider_id="")
        .exclude(
            provider_id__in=RehearsalSend.objects.filter(sent_at__gte=rehearsal.started_at).values(
                "provider_id"
            )
        )
        .count()
    )

    records = {
        "alert_to_incident": [],
        "incident_to_first_page": [],
        "alert_to_first_page": [],
        "alert_to_last_first_step_page": [],
        "steps": defaultdict(list),
        "escalation_lateness": [],
    }
    settled = 0
    for pk, created_at, first_paged_at in rows:
        alert_at = first_alert.get(pk)
        _add(records["alert_to_incident"], _seconds(created_at, alert_at))
        _add(records["incident_to_first_page"], _seconds(first_paged_at, created_at))
        _add(records["alert_to_first_page"], _seconds(first_paged_at, alert_at))
        steps = fired.get(pk, [])
        followed = steps if rehearsal.follow else steps[:1]
        done = bool(followed)
        for index, step in enumerate(steps):
            done_here, last = pages.get((pk, step["step"], step["loop"]), (True, None))
            if index < len(followed):
                done = done and done_here
            if done_here and last is not None:
                records["steps"][str(step["step"])].append(_seconds(last, step["at"]))
                if index == 0:
                    _add(records["alert_to_last_first_step_page"], _seconds(last, alert_at))
            _add(records["escalation_lateness"], _seconds(step["at"], step["due_at"]))
        settled += done
    records["steps"] = dict(records["steps"])
    records.update(
        alerts_per_second=per_second,
        pages_by_kind=dict(by_kind),
        pages_failed=failed,
        real_channel_sends=real_sends,
    )
    progress = {
        "alerts": sum(per_second.values()),
        "incidents": len(rows),
        "incidents_settled": settled,
        "pages": total,
        "pages_open": open_pages,
    }
    return {"progress": progress, "records": records}


def alerts_per_second(incident_ids, *, since: datetime) -> dict[str, int]:
    """Return {ISO second (UTC): alerts received then} for the incidents' alerts since `since`.

    Grouped in SQL on the instant's text to the second (both databases give it in UTC as
    "YYYY-MM-DD HH:MM:SS"): no datetime made per alert, nor a function call per row on SQLite.
    """
    second = Substr(Cast("received_at", CharField()), 1, 19)
    rows = (
        Alert.objects.filter(incident_id__in=incident_ids, received_at__gte=since)
        .annotate(second=second)
        .values("second")
        .annotate(n=Count("pk"))
        .order_by("second")
        .values_list("second", "n")
    )
    return {f"{text.replace(' ', 'T')}+00:00": n for text, n in rows}


def _add(values: list, value: float | None) -> None:
    if value is not None:
        values.append(value)
