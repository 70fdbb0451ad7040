"""The rollup of the insights: counts of closed buckets, written once, read instead of the raw
rows (incidents.models.insights).

A bucket is closed once nothing in it can change: LAG after its end. By then every page sent in
it has its interruption class, every incident opened in it is known to have been resolved within
5 minutes or not, and a transaction still open would have to have lasted LAG. The watermark says
how far the rollup reaches; reads take the raw rows after it, so they are exact whenever the
rollup last ran. History imported with past times needs `manage.py insights rebuild`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, IntegerField, Min, Q
from django.db.models.functions import Cast, ExtractMinute, TruncDay, TruncHour

from incidents.insights.stats import BUCKET, DAY, bucket_floor
from incidents.models import (
    Alert,
    Incident,
    InsightBucket,
    NoiseDay,
    Page,
    RollupWatermark,
)

REAL = Incident.Kind.REAL
LAG = timedelta(minutes=30)
QUIET_WITHIN = timedelta(minutes=5)
CHUNK = timedelta(days=7)  # a long history is rolled up a week at a time


def quiet_q() -> Q:
    """Incidents resolved within 5 minutes by monitoring (no person), never acknowledged."""
    return Q(
        acknowledged_at__isnull=True,
        resolved_at__isnull=False,
        resolved_by__isnull=True,
        resolved_at__lte=F("created_at") + QUIET_WITHIN,
    )


def _by_quarter(queryset, field: str, *names: str, **expressions):
    """Group `queryset` by 15-minute bucket of `field` (and `names`, `expressions`): count the
    rows; yield (bucket start, row)."""
    grouped = (
        queryset.annotate(
            hour=TruncHour(field, tzinfo=UTC),
            quarter=Cast(ExtractMinute(field, tzinfo=UTC), IntegerField()) / 15,
        )
        .values("hour", "quarter", *names, **expressions)
        .annotate(n=Count("id"))
    )
    for row in grouped:
        yield row["hour"] + BUCKET * row["quarter"], row


def _buckets_roll(start: datetime, end: datetime) -> None:
    """Write the 15-minute rows of [start, end)."""
    rows: dict[tuple, Counter] = defaultdict(Counter)
    # Only real incidents count: rehearsals and test pages are not the team's load.
    opened = Incident.objects.filter(created_at__gte=start, created_at__lt=end, kind=REAL)
    for at, row in _by_quarter(opened, "created_at", "service_id"):
        rows[(row["service_id"], at)]["incidents"] += row["n"]
    sent = Page.objects.filter(sent_at__gte=start, sent_at__lt=end, incident__kind=REAL)
    classes = {c.value for c in Page.Interruption}
    for at, row in _by_quarter(
        sent, "sent_at", "interruption", service_id=F("incident__service_id")
    ):
        counts = rows[(row["service_id"], at)]
        counts["pages"] += row["n"]
        if row["interruption"] in classes:
            counts[row["interruption"]] += row["n"]
    InsightBucket.objects.bulk_create(
        InsightBucket(service_id=service, start=at, **counts)
        for (service, at), counts in rows.items()
    )


def _days_roll(start: datetime, end: datetime) -> None:
    """Write the day rows of [start, end) (whole UTC days)."""
    rows: dict[tuple, dict] = defaultdict(lambda: {"incidents": 0, "quiet": 0, "alerts": 0})
    opened = (
        Incident.objects.filter(created_at__gte=start, created_at__lt=end, kind=REAL)
        .annotate(day=TruncDay("created_at", tzinfo=UTC))
        .values("service_id", "day", "alert_name")
        .annotate(n=Count("id"), quiet=Count("id", filter=quiet_q()))
    )
    for row in opened:
        key = (row["service_id"], row["day"], row["alert_name"])
        rows[key]["incidents"] += row["n"]
        rows[key]["quiet"] += row["quiet"]
    received = (
        Alert.objects.filter(received_at__gte=start, received_at__lt=end, incident__kind=REAL)
        .annotate(day=TruncDay("received_at", tzinfo=UTC))
        .values("day", service_id=F("incident__service_id"), name=F("incident__alert_name"))
        .annotate(n=Count("id"))
    )
    for row in received:
        rows[(row["service_id"], row["day"], row["name"])]["alerts"] += row["n"]
    NoiseDay.objects.bulk_create(
        NoiseDay(service_id=service, day=day, alert_name=name, **counts)
        for (service, day, name), counts in rows.items()
    )


def _earliest() -> datetime | None:
    firsts = [
        Incident.objects.aggregate(at=Min("created_at"))["at"],
        Page.objects.aggregate(at=Min("sent_at"))["at"],
        Alert.objects.aggregate(at=Min("received_at"))["at"],
    ]
    firsts = [at for at in firsts if at is not None]
    return min(firsts) if firsts else None


def _spans(start: datetime, end: datetime, size: timedelta):
    while start < end:
        yield start, min(start + size, end)
        start += size


@transaction.atomic
def rollup_advance(*, now: datetime) -> datetime | None:
    """Roll up every bucket and day closed by `now` that the rollup does not hold yet; return the
    watermark. Safe to run twice at once: the second waits for the first, then finds nothing."""
    RollupWatermark.objects.get_or_create(pk=1)
    mark = RollupWatermark.objects.select_for_update().get(pk=1)
    target = bucket_floor(now - LAG)
    earliest = mark.until or _earliest()
    if earliest is None:
        return None
    buckets_from = bucket_floor(earliest)
    days_from = mark.days_until or bucket_floor(earliest, DAY)
    days_to = bucket_floor(target, DAY)
    for start, end in _spans(buckets_from, target, CHUNK):
        _buckets_roll(start, end)
    for start, end in _spans(days_from, days_to, CHUNK):
        _days_roll(start, end)
    mark.until = max(target, buckets_from)
    mark.days_until = max(days_to, days_from)
    mark.save()
    return mark.until


@transaction.atomic
def rollup_rebuild(*, now: datetime) -> datetime | None:
    """Derive the whole rollup again from the record; return the watermark."""
    InsightBucket.objects.all().delete()
    NoiseDay.objects.all().delete()
    RollupWatermark.objects.all().delete()
    return rollup_advance(now=now)


def rollup_watermarks() -> tuple[datetime | None, datetime | None]:
    """Return how far the rollup reaches: (15-minute buckets, days)."""
    mark = RollupWatermark.objects.filter(pk=1).values_list("until", "days_until").first()
    return mark or (None, None)
