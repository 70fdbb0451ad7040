"""Plantão's own health for Prometheus (GET /metrics): how much the engine has due and how late
it is, what is stuck, how many incidents are open, the interruptions of the last day, how long
an alert waits for its first page, and what became of the ingest requests.

Every figure is read from the database when scraped (a handful of indexed queries), so it is the
same whichever web process answers and needs no shared state between processes. The counter and
the histogram are sums of each process's Tally rows (incidents/tallies.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Min
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector

from incidents import tallies
from incidents.models import Incident, Page
from oncall import clock, health

FATIGUE_WINDOW = timedelta(hours=24)


def _age(now: datetime, since: datetime | None) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


def engine_figures(*, now: datetime) -> dict:
    """Return the engine's backlog and health at `now`, as plain numbers."""
    due = Incident.objects.filter(status=Incident.Status.TRIGGERED, esc_due_at__lte=now).aggregate(
        n=Count("pk"), oldest=Min("esc_due_at")
    )
    pending = Page.objects.filter(state=Page.State.PENDING, due_at__lte=now).aggregate(
        n=Count("pk"), oldest=Min("due_at")
    )
    # Rehearsal and test incidents are left out of the open and sent figures: not the load.
    open_ = dict(
        Incident.objects.filter(status__in=Incident.OPEN, kind=Incident.Kind.REAL)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    sent = dict(
        Page.objects.filter(
            sent_at__gte=now - FATIGUE_WINDOW, sent_at__lte=now, incident__kind=Incident.Kind.REAL
        )
        .exclude(interruption="")
        .values_list("interruption")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        "escalations_due": due["n"],
        "escalation_oldest_due_seconds": _age(now, due["oldest"]),
        "pages_due": pending["n"],
        "page_oldest_due_seconds": _age(now, pending["oldest"]),
        "pages_stuck": Page.objects.filter(state=Page.State.SENDING, lease_until__lt=now).count(),
        "incidents_open": {status: open_.get(status, 0) for status in Incident.OPEN},
        "pages_sent_24h": {kind: sent.get(kind, 0) for kind in Page.Interruption.values},
    }


class EngineCollector(Collector):
    """Gauges read from the database at each scrape."""

    def collect(self):
        now = clock.now()
        figures = engine_figures(now=now)
        simple = [
            ("escalations_due", "Escalation steps due now and not yet fired."),
            (
                "escalation_oldest_due_seconds",
                "How late the most overdue escalation step is (0: none due). Alert on this.",
            ),
            ("pages_due", "Pages due now and not yet handed to their channel."),
            ("page_oldest_due_seconds", "How late the most overdue page is (0: none due)."),
            (
                "pages_stuck",
                "Pages whose sender's lease ran out mid-send, awaiting reconciliation.",
            ),
        ]
        for name, text in simple:
            yield GaugeMetricFamily(f"plantao_{name}", text, value=figures[name])
        open_ = GaugeMetricFamily(
            "plantao_incidents_open", "Open incidents (real ones), by status.", labels=["status"]
        )
        for status, n in figures["incidents_open"].items():
            open_.add_metric([status], n)
        yield open_
        sent = GaugeMetricFamily(
            "plantao_pages_sent_24h",
            "Pages sent in the last 24 hours, by when they fell in the person's day "
            "(sleep 22-08, off hours, business hours): fatigue.",
            labels=["interruption"],
        )
        for kind, n in figures["pages_sent_24h"].items():
            sent.add_metric([kind], n)
        yield sent
        age = health.pipeline_age_seconds()
        yield GaugeMetricFamily(
            "plantao_pipeline_heartbeat_age_seconds",
            "Seconds since a worker last ran the scheduler's heartbeat (-1: never).",
            value=-1 if age is None else age,
        )
        yield from tally_families(tallies.tallies_summed())


def tally_families(summed: dict[tuple[str, str], tuple[int, float]]):
    """Yield the ingest counter and the alert-to-first-page histogram from summed Tally rows;
    every label is present, at zero if nothing was counted, so rules never see a gap."""
    ingest = CounterMetricFamily(
        "plantao_ingest_requests",
        "Requests to the inbound alert endpoints, by outcome and integration kind.",
        labels=["outcome", "integration"],
    )
    for outcome in tallies.OUTCOMES:
        for kind in tallies.INTEGRATIONS:
            n, _ = summed.get((tallies.INGEST, f"{outcome}:{kind}"), (0, 0.0))
            ingest.add_metric([outcome, kind], n)
    yield ingest
    commits, writes = summed.get((tallies.INGEST_COMMITS, ""), (0, 0.0))
    yield CounterMetricFamily(
        "plantao_ingest_commits",
        "Transactions the web tier's ingest lane committed; each holds the writes of one or more "
        "requests (group commit).",
        value=commits,
    )
    yield CounterMetricFamily(
        "plantao_ingest_committed_writes",
        "Requests' writes the ingest lane committed; divided by plantao_ingest_commits_total, "
        "the mean number of requests a commit holds.",
        value=int(writes),
    )
    latency = HistogramMetricFamily(
        "plantao_alert_to_first_page_seconds",
        "Seconds from an incident's first alert to its first page sent, by incident kind "
        "(real, rehearsal, test).",
        labels=["kind"],
    )
    for kind in Incident.Kind.values:
        buckets, seen, total = [], 0, 0.0
        for edge in tallies.FIRST_PAGE_BUCKETS:
            le = tallies.le_label(edge)
            n, added = summed.get((tallies.FIRST_PAGE, f"{kind}:{le}"), (0, 0.0))
            seen, total = seen + n, total + added
            buckets.append((le, seen))
        latency.add_metric([kind], buckets, sum_value=total)
    yield latency
