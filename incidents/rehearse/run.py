"""One rehearsal from start to end: create it through the API, drive the plan into its ingest
path, wait for its incidents to settle, read what the server recorded, judge, report, finish,
and remove its incidents unless kept."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from . import html, report, shapes
from .client import Client
from .driver import Request, drive
from .payloads import body_for
from .progress import Progress


@dataclass(frozen=True)
class Options:
    url: str
    service: str | None
    alerts: int
    rate: int
    shape: str
    follow: bool
    keep: bool
    wait: float
    concurrency: int
    out: Path
    limits: dict  # option name (underscores) -> value, as report.limits_for takes them


@dataclass(frozen=True)
class Outcome:
    report: dict
    json_path: Path
    html_path: Path


def requests_of(rehearsal: dict, shape: str, plan: list[shapes.Send]) -> tuple[str, list]:
    """Return the ingest path of `rehearsal` for `shape` and the driver's requests."""
    ingest = rehearsal["ingest"]
    path = ingest["alertmanager"] if shape == "alertmanager" else ingest["webhook"]
    started = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    requests = [
        Request(
            at=send.at,
            body=body_for(shape, send, started=started),
            alerts=len(send.keys),
            index=index,
        )  # fmt: skip
        for index, send in enumerate(plan)
    ]
    return path, requests


def keys_accepted(plan: list[shapes.Send], outcomes) -> int:
    """Return the distinct dedup keys the server accepted: the incidents it should hold."""
    return len({key for o in outcomes if o.error is None for key in plan[o.index].keys})


def write(rehearsal_report: dict, out: Path) -> tuple[Path, Path]:
    """Write the report as rehearsal-<id>.json and .html in `out`; return both paths."""
    out.mkdir(parents=True, exist_ok=True)
    name = f"rehearsal-{rehearsal_report['rehearsal']['id']}"
    json_path, html_path = out / f"{name}.json", out / f"{name}.html"
    json_path.write_text(json.dumps(rehearsal_report, indent=2) + "\n")
    html_path.write_text(html.render(rehearsal_report))
    return json_path.resolve(), html_path.resolve()


def rehearse(client: Client, options: Options, *, stderr=None) -> Outcome:
    """Run one rehearsal against the Plantão `client` talks to; return its report and files."""
    limits = report.limits_for(options=options.limits)
    fields = {
        "alerts": options.alerts,
        "rate": options.rate,
        "shape": options.shape,
        "follow": options.follow,
        "thresholds": {limit.name: limit.limit for limit in limits},
    }
    if options.service:
        fields["service"] = options.service
    rehearsal = client.create(**fields)
    try:
        plan = shapes.plan(
            shape=options.shape,
            alerts=options.alerts,
            rate=options.rate,
            prefix=f"rehearsal-{rehearsal['id']}",
        )
        path, requests = requests_of(rehearsal, options.shape, plan)
        sending = Progress("sending alerts", stream=stderr)
        driven = drive(
            url=options.url,
            path=path,
            requests=requests,
            concurrency=options.concurrency,
            progress=sending,
        )
        sending.close()
        paging = Progress("incidents settled", stream=stderr)
        detail = client.wait_settled(
            rehearsal["id"],
            incidents=keys_accepted(plan, driven.outcomes),
            wait=options.wait,
            progress=paging,
        )
        paging.close()
        summary = report.drive_summary(
            driven, asked_rate=shapes.mean_rate(options.shape, options.rate)
        )
        made = report.build(
            rehearsal=rehearsal,
            detail=detail,
            drive=summary,
            limits=limits,
            previous=client.previous(current=rehearsal),
            url=options.url,
        )
    except BaseException:
        # Stop what was started: an interrupted rehearsal must not keep paging (into nothing).
        with contextlib.suppress(Exception):  # the first error is the one to tell
            client.finish(rehearsal["id"], report={"interrupted": True}, passed=False)
            if not options.keep:
                client.remove(rehearsal["id"])
        raise
    client.finish(rehearsal["id"], report=made, passed=made["passed"])
    if not options.keep:
        client.remove(rehearsal["id"])
    json_path, html_path = write(made, options.out)
    return Outcome(report=made, json_path=json_path, html_path=html_path)


def summary_lines(made: dict) -> list[str]:
    """Return the printed summary: headline figures beside the previous run's, then thresholds."""
    meta, drive_figures = made["rehearsal"], made["drive"]
    before = (made.get("previous") or {}).get("figures") or {}
    previous = made.get("previous")

    def pair(figure: str, unit: str = " s") -> str:
        now = html.number(made["figures"].get(figure), unit)
        if not previous:
            return now
        return f"{now} (before: {html.number(before.get(figure), unit)})"

    lines = [
        f"Rehearsal {meta['id']} of {meta.get('rehearsal_of')} ({meta['shape']}, "
        f"{meta['alerts']} alerts at {meta['rate']}/s)"
        + (f", beside rehearsal {previous['id']}" if previous else ""),
        f"  accepted: {drive_figures['alerts_accepted']}/{drive_figures['alerts_sent']} alerts, "
        f"{pair('accepted_rate', '/s')}; errors: {pair('errors', '')}",
        f"  incidents: {pair('incidents', '')}; pages: {pair('pages', '')}; "
        f"not settled: {pair('unsettled', '')}",
    ]
    for name, label in report.LATENCIES.items():
        lines.append(f"  {label}: p50 {pair(name + '_p50')}, p99 {pair(name + '_p99')}")
    for step in made["steps"]:
        lines.append(
            f"  step {int(step) + 1}, last person paged: p99 {pair(f'step_{step}_last_person_p99')}"
        )
    lines.append(f"  escalation lateness: p99 {pair('escalation_lateness_p99')}")
    unsettled = made["server"]["unsettled"]
    if unsettled:
        lines.append(
            f"  {unsettled} incidents still had pages to go when the wait ended: a step's later "
            "pages (a call after a text) may be minutes off; a longer --wait follows them"
        )
    for line in made["thresholds"]:
        verdict = "PASS" if line["passed"] else "FAIL"
        lines.append(
            f"{verdict} {line['label']}: {html.number(line['value'])} "
            f"{line['op']} {html.number(line['limit'])}"
        )
    return lines
