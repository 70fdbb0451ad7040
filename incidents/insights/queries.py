"""The insights of a scope and period, read with database aggregates: the rollup's closed
buckets before its watermark, the raw rows after it (and at the period's ragged edges), so the
figures are exact whenever the rollup last ran. MTTA and MTTR come from the raw incidents:
PostgreSQL's percentile_cont, or on SQLite the durations of one ordered query."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from django.db import connection
from django.db.models import (
    Count,
    DateField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import ExtractHour, Trunc

from incidents.insights.durations import durations
from incidents.insights.rollup import quiet_q, rollup_watermarks
from incidents.insights.stats import (
    DAY,
    Summary,
    split_at_buckets,
    week_start,
    weeks_between,
)
from incidents.insights.tails import alerts_tail, pages_tail
from incidents.models import Incident, InsightBucket, NoiseDay, Page

INTERRUPTIONS = [c.value for c in Page.Interruption]
NOISY_SHOWN = 10


@dataclass(frozen=True)
class Scope:
    """Whose incidents: those of `service_ids`, and with `person_id`, only those that paged
    them (and only their pages)."""

    service_ids: tuple[int, ...]
    person_id: int | None = None


@dataclass(frozen=True)
class Noisy:
    alert_name: str
    incidents: int
    alerts: int
    quiet: int


@dataclass
class Insights:
    since: datetime
    until: datetime
    zone: tzinfo
    mtta: Summary
    mttr: Summary
    acknowledgements: dict[str, int]
    weeks: list[tuple[date, int, int]]  # (Monday, incidents, pages)
    hours: list[int]  # pages by local hour, 0 to 23
    interruptions: dict[str, int]
    noisy: list[Noisy] = field(default_factory=list)


def _incidents(scope: Scope) -> QuerySet[Incident]:
    # Only real incidents count: rehearsals and test pages are not the team's load.
    incidents = Incident.objects.filter(service_id__in=scope.service_ids, kind=Incident.Kind.REAL)
    if scope.person_id is not None:
        paged = Page.objects.filter(incident=OuterRef("pk"), person_id=scope.person_id)
        incidents = incidents.filter(Exists(paged))
    return incidents


def _within(name: str, spans) -> Q:
    """Rows whose `name` falls in any of `spans` [(since, until), …]."""
    q = Q(pk__in=[])
    for since, until in spans:
        q |= Q(**{f"{name}__gte": since, f"{name}__lt": until})
    return q


def _local(name: str, zone: tzinfo) -> dict:
    return {
        "week": Trunc(name, "week", output_field=DateField(), tzinfo=zone),
        "hour": ExtractHour(name, tzinfo=zone),
    }


@dataclass
class Counts:
    """Incidents by local week; pages by local week, by local hour, by interruption."""

    incidents: Counter = field(default_factory=Counter)
    pages: Counter = field(default_factory=Counter)
    hours: list[int] = field(default_factory=lambda: [0] * 24)
    interruptions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INTERRUPTIONS, 0))

    def add_pages(self, week, hour, interruption, n) -> None:
        self.pages[week] += n
        self.hours[hour] += n
        if interruption in self.interruptions:
            self.interruptions[interruption] += n


def _rolled_rows(buckets, zone):
    """Yield (local Monday, local hour, sums) of the buckets' rows, grouped by local week and
    hour. SQLite converts zones in a Python function per row, so there the rows are summed per
    bucket in SQL and placed in their week and hour here, once a bucket (a 15-minute bucket lies
    in one local hour, in any zone)."""
    sums = {"i": Sum("incidents"), **{k: Sum(k) for k in ("pages", *INTERRUPTIONS)}}
    if connection.vendor != "sqlite":
        grouped = buckets.annotate(**_local("start", zone)).values("week", "hour")
        for row in grouped.annotate(**sums):
            yield row["week"], row["hour"], row
        return
    for row in buckets.values("start").annotate(**sums):
        yield week_start(row["start"], zone), row["start"].astimezone(zone).hour, row


def _rolled_counts(scope: Scope, rolled, zone, counts: Counts) -> None:
    buckets = InsightBucket.objects.filter(
        service_id__in=scope.service_ids, start__gte=rolled[0], start__lt=rolled[1]
    )
    for week, hour, row in _rolled_rows(buckets, zone):
        counts.incidents[week] += row["i"]
        counts.pages[week] += row["pages"]
        counts.hours[hour] += row["pages"]
        for interruption in INTERRUPTIONS:
            counts.interruptions[interruption] += row[interruption]


def counts_of(scope: Scope, since, until, zone) -> Counts:
    """Return the Counts of [since, until) in `zone`: the rollup's closed buckets, and raw rows
    for the rest (all of it when scoped to a person)."""
    rolled, raw = split_at_buckets(since, until, rollup_watermarks()[0])
    counts = Counts()
    if rolled and scope.person_id is None:
        _rolled_counts(scope, rolled, zone, counts)
    else:
        raw = [(since, until)]
    incidents = _incidents(scope).filter(_within("created_at", raw))
    for row in (
        incidents.annotate(**_local("created_at", zone)).values("week").annotate(n=Count("id"))
    ):
        counts.incidents[row["week"]] += row["n"]
    for week, hour, interruption, n in pages_tail(scope, raw, zone):
        counts.add_pages(week, hour, interruption, n)
    return counts


def noisy_alerts(scope: Scope, since, until, shown: int = NOISY_SHOWN) -> list[Noisy]:
    """Return the alert names that opened the most incidents in [since, until), with the alerts
    received and the incidents resolved within 5 minutes without anyone acting."""
    rolled, raw = split_at_buckets(since, until, rollup_watermarks()[1], DAY)
    totals: dict[str, Counter] = {}

    def add(name, **counts):
        totals.setdefault(name, Counter()).update(counts)

    if rolled and scope.person_id is None:
        days = NoiseDay.objects.filter(
            service_id__in=scope.service_ids, day__gte=rolled[0], day__lt=rolled[1]
        ).values("alert_name")
        for row in days.annotate(i=Sum("incidents"), q=Sum("quiet"), a=Sum("alerts")):
            add(row["alert_name"], incidents=row["i"], quiet=row["q"], alerts=row["a"])
    else:
        raw = [(since, until)]
    incidents = _incidents(scope)
    opened = incidents.filter(_within("created_at", raw)).values("alert_name")
    for row in opened.annotate(i=Count("id"), q=Count("id", filter=quiet_q())):
        add(row["alert_name"], incidents=row["i"], quiet=row["q"])
    for name, n in alerts_tail(scope, raw):
        add(name, alerts=n)
    ranked = sorted(
        totals.items(), key=lambda item: (-item[1]["incidents"], -item[1]["alerts"], item[0])
    )
    return [
        Noisy(name, counts["incidents"], counts["alerts"], counts["quiet"])
        for name, counts in ranked[:shown]
        if counts["incidents"]
    ]


def insights_of(*, scope: Scope, since: datetime, until: datetime, zone: tzinfo) -> Insights:
    """Return the insights of `scope` over [since, until), weeks and hours in `zone`."""
    mtta, mttr, acks = durations(
        _incidents(scope).filter(created_at__gte=since, created_at__lt=until)
    )
    counts = counts_of(scope, since, until, zone)
    weeks = [(w, counts.incidents[w], counts.pages[w]) for w in weeks_between(since, until, zone)]
    return Insights(
        since=since,
        until=until,
        zone=zone,
        mtta=mtta,
        mttr=mttr,
        acknowledgements=acks,
        weeks=weeks,
        hours=counts.hours,
        interruptions=counts.interruptions,
        noisy=noisy_alerts(scope, since, until),
    )
