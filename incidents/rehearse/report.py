"""Turn what the driver saw and what the server recorded into the rehearsal's report.

Pure: plain dicts and lists in, a JSON-ready dict out. Percentiles are nearest-rank, histograms
use fixed bucket edges (so two reports compare bucket by bucket), and every threshold becomes a
PASS/FAIL line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Upper bucket edges in seconds; the last bucket holds everything above the last edge.
EDGES = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600)
LATENCIES = {
    "alert_to_incident": "Alert to incident",
    "incident_to_first_page": "Incident to first page",
    "alert_to_first_page": "Alert to first page",
    "alert_to_last_first_step_page": "Alert to last page of the first step",
}


@dataclass(frozen=True)
class Limit:
    """A threshold: the figure `figure` must be at most (or at least) `limit`."""

    name: str  # the command-line option, without its dashes
    label: str
    figure: str  # a key of the report's figures
    limit: float
    at_least: bool = False
    # When the figure is missing (nothing measured): pass (nothing was late) or fail.
    missing_passes: bool = False
    option: bool = True  # False: a promise, not a command-line option


def percentile(ordered: list[float], share: float) -> float:
    """Return the nearest-rank percentile `share` (0-1) of the sorted, non-empty `ordered`."""
    rank = max(math.ceil(share * len(ordered)), 1)
    return ordered[rank - 1]


def stats(values: list[float]) -> dict:
    """Return count, p50, p90, p99, max and the histogram of `values` (None figures if empty)."""
    ordered = sorted(values)
    if not ordered:
        return {"count": 0, "p50": None, "p90": None, "p99": None, "max": None,
                "histogram": [0] * (len(EDGES) + 1)}  # fmt: skip
    return {
        "count": len(ordered),
        "p50": percentile(ordered, 0.5),
        "p90": percentile(ordered, 0.9),
        "p99": percentile(ordered, 0.99),
        "max": ordered[-1],
        "histogram": histogram(ordered),
    }


def histogram(values: list[float]) -> list[int]:
    """Count `values` into the buckets of EDGES: bucket i holds EDGES[i-1] < v <= EDGES[i]."""
    counts = [0] * (len(EDGES) + 1)
    for value in values:
        counts[next((i for i, edge in enumerate(EDGES) if value <= edge), len(EDGES))] += 1
    return counts


def bucket_labels() -> list[str]:
    """Name each histogram bucket, e.g. "<= 0.1 s", "> 600 s"."""
    return [f"<= {edge:g} s" for edge in EDGES] + [f"> {EDGES[-1]:g} s"]


def per_second(instants: list[float]) -> list[int]:
    """Count `instants` (seconds from the start) in each whole second from 0 to the last."""
    if not instants:
        return []
    counts = [0] * (int(max(instants)) + 1)
    for instant in instants:
        counts[max(int(instant), 0)] += 1
    return counts


def drive_summary(drive, *, asked_rate: float) -> dict:
    """Sum up a driver.Drive: alerts sent and accepted, the accepted rate, errors, costs."""
    accepted_at = [o.sent + o.latency for o in drive.outcomes if o.error is None]
    accepted_series = [0] * (int(max(accepted_at, default=0)) + 1) if accepted_at else []
    for outcome in drive.outcomes:
        if outcome.error is None:
            accepted_series[int(outcome.sent + outcome.latency)] += outcome.alerts
    seconds = drive.active_seconds()
    return {
        "requests": len(drive.outcomes),
        "alerts_sent": drive.alerts_sent,
        "alerts_accepted": drive.alerts_accepted,
        "asked_rate": asked_rate,
        "accepted_rate": drive.alerts_accepted / seconds if drive.outcomes else 0.0,
        "seconds": seconds,
        "cpu_seconds": drive.cpu_seconds,
        "cores": drive.cpu_seconds / drive.wall_seconds if drive.wall_seconds else 0.0,
        "errors": drive.errors(),
        "error_requests": sum(drive.errors().values()),
        "lateness": stats([max(o.sent - o.due, 0.0) for o in drive.outcomes]),
        "request_latency": stats([o.latency for o in drive.outcomes]),
        "accepted_per_second": accepted_series,
    }


def server_summary(detail: dict) -> dict:
    """Sum up the rehearsal the API returned: progress and the page counts it recorded."""
    progress = detail.get("progress") or {}
    records = detail.get("records") or {}
    incidents = progress.get("incidents", 0)
    return {
        "alerts": progress.get("alerts", 0),
        "incidents": incidents,
        "incidents_settled": progress.get("incidents_settled", 0),
        "unsettled": max(incidents - progress.get("incidents_settled", 0), 0),
        "pages": progress.get("pages", 0),
        "pages_open": progress.get("pages_open", 0),
        "pages_by_kind": records.get("pages_by_kind", {}),
        "pages_failed": records.get("pages_failed", 0),
        "real_channel_sends": records.get("real_channel_sends", 0),
        "alerts_per_second": records.get("alerts_per_second", {}),
    }


def figures_of(report: dict) -> dict:
    """Return the report's headline figures, flat, for thresholds and comparison."""
    drive, server = report["drive"], report["server"]
    figures = {
        "accepted_rate": drive["accepted_rate"],
        "errors": drive["error_requests"],
        "alerts_accepted": drive["alerts_accepted"],
        "incidents": server["incidents"],
        "unsettled": server["unsettled"],
        "pages": server["pages"],
        "pages_failed": server["pages_failed"],
        "real_channel_sends": server["real_channel_sends"],
    }
    for name, figure in report["latency"].items():
        for point in ("p50", "p99"):
            figures[f"{name}_{point}"] = figure[point]
    for step, figure in report["steps"].items():
        figures[f"step_{step}_last_person_p99"] = figure["p99"]
    figures["escalation_lateness_p99"] = report["escalation_lateness"]["p99"]
    return figures


def limits_for(*, options: dict) -> list[Limit]:
    """Return the thresholds of a run from its options (names as on the command line)."""
    return [
        Limit("min-accepted-rate", "Alerts accepted a second", "accepted_rate",
              options["min_accepted_rate"], at_least=True),
        Limit("max-errors", "Requests refused or failed", "errors", options["max_errors"]),
        Limit("max-p99-first-page", "p99 alert to first page (s)", "alert_to_first_page_p99",
              options["max_p99_first_page"]),
        Limit("max-p99-last-page", "p99 alert to last page of the first step (s)",
              "alert_to_last_first_step_page_p99", options["max_p99_last_page"]),
        Limit("max-p99-lateness", "p99 escalation lateness (s)", "escalation_lateness_p99",
              options["max_p99_lateness"], missing_passes=True),
        Limit("max-unsettled", "Incidents not settled in time", "unsettled",
              options["max_unsettled"]),
        Limit("max-failed-pages", "Pages that failed", "pages_failed", options["max_failed_pages"]),
        # Not an option: a rehearsal reaches no one, ever.
        Limit("real-channel-sends", "Pages sent through a real channel", "real_channel_sends", 0,
              option=False),
    ]  # fmt: skip


def judge(limits: list[Limit], figures: dict) -> list[dict]:
    """Return one PASS/FAIL line a threshold."""
    lines = []
    for limit in limits:
        value = figures.get(limit.figure)
        if value is None:
            passed = limit.missing_passes
        elif limit.at_least:
            passed = value >= limit.limit
        else:
            passed = value <= limit.limit
        lines.append(
            {
                "name": limit.name,
                "label": limit.label,
                "figure": limit.figure,
                "op": ">=" if limit.at_least else "<=",
                "limit": limit.limit,
                "value": value,
                "passed": passed,
                "option": limit.option,
            }
        )
    return lines


def compare(figures: dict, previous: dict | None) -> list[dict]:
    """Return {figure, now, before} for every headline figure, `before` None with no previous."""
    before = (previous or {}).get("figures") or {}
    return [
        {"figure": name, "now": value, "before": before.get(name)}
        for name, value in figures.items()
    ]


def build(
    *, rehearsal: dict, detail: dict, drive: dict, limits: list[Limit], previous: dict | None,
    url: str,
) -> dict:  # fmt: skip
    """Return the report of a rehearsal: `detail` is the API's view of it at the end, `drive`
    a drive_summary, `previous` the report of the rehearsal before it (or None)."""
    records = detail.get("records") or {}
    report = {
        "rehearsal": {
            key: detail.get(key, rehearsal.get(key))
            for key in (
                "id",
                "service",
                "rehearsal_of",
                "shape",
                "alerts",
                "rate",
                "follow",
                "started_at",
            )  # fmt: skip
        }
        | {"url": url},
        "edges": list(EDGES),
        "drive": drive,
        "server": server_summary(detail),
        "latency": {name: stats(records.get(name) or []) for name in LATENCIES},
        "steps": {
            step: stats(values or [])
            for step, values in sorted(
                (records.get("steps") or {}).items(), key=lambda s: int(s[0])
            )
        },
        "escalation_lateness": stats(records.get("escalation_lateness") or []),
    }
    report["figures"] = figures_of(report)
    report["thresholds"] = judge(limits, report["figures"])
    report["passed"] = all(line["passed"] for line in report["thresholds"])
    report["previous"] = (
        None
        if not previous
        else {
            "id": (previous.get("rehearsal") or {}).get("id"),
            "started_at": (previous.get("rehearsal") or {}).get("started_at"),
            "figures": previous.get("figures") or {},
        }
    )
    report["comparison"] = compare(report["figures"], previous)
    return report
