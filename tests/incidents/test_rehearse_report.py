"""The rehearsal's report: percentiles, histograms, thresholds, comparison, the HTML page, and
the client package's independence from the server (incidents/rehearse)."""

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from incidents.rehearse import html, report
from incidents.rehearse.driver import Drive, Outcome

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = {
    "min_accepted_rate": 90.0,
    "max_errors": 0,
    "max_p99_first_page": 30.0,
    "max_p99_last_page": 60.0,
    "max_p99_lateness": 30.0,
    "max_unsettled": 0,
    "max_failed_pages": 0,
}


def test_percentiles_are_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    figure = report.stats(values)
    assert (figure["p50"], figure["p90"], figure["p99"], figure["max"]) == (50, 90, 99, 100)
    assert report.stats([7.0])["p99"] == 7.0
    assert report.stats([])["p50"] is None


def test_histograms_use_fixed_edges_and_count_every_value_once():
    counts = report.histogram([0.1, 0.11, 0.5, 3, 700])
    assert len(counts) == len(report.EDGES) + 1 == len(report.bucket_labels())
    assert counts[0] == 1  # <= 0.1
    assert counts[1] == 1  # (0.1, 0.25]
    assert counts[2] == 1  # (0.25, 0.5]
    assert counts[report.EDGES.index(5)] == 1
    assert counts[-1] == 1  # > 600
    assert sum(counts) == 5


def drive(outcomes) -> dict:
    done = Drive(outcomes=outcomes, wall_seconds=2.0, cpu_seconds=0.5, started_at=0.0)
    return report.drive_summary(done, asked_rate=100)


def outcome(sent, status=202, alerts=1, latency=0.01):
    error = None if status == 202 else ("throttled" if status == 429 else f"http {status}")
    return Outcome(index=0, due=sent, sent=sent, latency=latency, status=status, alerts=alerts,
                   error=error)  # fmt: skip


def detail(**records) -> dict:
    base = {
        "alert_to_incident": [0.01] * 10,
        "incident_to_first_page": [0.5] * 10,
        "alert_to_first_page": [1.0] * 9 + [2.0],
        "alert_to_last_first_step_page": [3.0] * 10,
        "steps": {"0": [3.0] * 10},
        "escalation_lateness": [],
        "pages_by_kind": {"sms": 10, "email": 10},
        "pages_failed": 0,
        "real_channel_sends": 0,
        "alerts_per_second": {},
    }
    progress = {"alerts": 10, "incidents": 10, "incidents_settled": 10, "pages": 20}
    return {"id": 4, "shape": "steady", "progress": progress, "records": base | records}


def build(detail_, drive_, previous=None, **options):
    return report.build(
        rehearsal={"id": 4, "rehearsal_of": "edge", "shape": "steady", "alerts": 10, "rate": 100},
        detail=detail_,
        drive=drive_,
        limits=report.limits_for(options=OPTIONS | options),
        previous=previous,
        url="http://127.0.0.1:8000",
    )


def verdicts(made) -> dict:
    return {line["name"]: line["passed"] for line in made["thresholds"]}


def test_the_drive_summary_counts_accepted_alerts_a_second_and_errors_by_class():
    summary = drive(
        [
            outcome(0.0, alerts=10),
            outcome(0.5, alerts=10),
            outcome(1.2, status=429),
            outcome(1.5, status=500),
            outcome(1.99, alerts=10),
        ]  # fmt: skip
    )
    assert summary["alerts_sent"] == 32
    assert summary["alerts_accepted"] == 30
    assert summary["errors"] == {"throttled": 1, "http 500": 1}
    assert summary["error_requests"] == 2
    assert summary["accepted_per_second"] == [20, 0, 10]
    assert summary["accepted_rate"] == pytest.approx(30 / 2.0)
    assert summary["cores"] == 0.25


def test_every_threshold_holds_on_a_good_run():
    made = build(detail(), drive([outcome(i / 100) for i in range(100)]), min_accepted_rate=50)
    assert made["passed"], made["thresholds"]
    assert made["latency"]["alert_to_first_page"]["p99"] == 2.0
    assert made["steps"]["0"]["count"] == 10
    assert verdicts(made)["max-p99-lateness"]  # nothing escalated: nothing late


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        ({"records": {"alert_to_first_page": [31.0] * 10}}, "max-p99-first-page"),
        ({"records": {"alert_to_first_page": []}}, "max-p99-first-page"),  # never paged
        ({"records": {"alert_to_last_first_step_page": [61.0]}}, "max-p99-last-page"),
        ({"records": {"escalation_lateness": [45.0]}}, "max-p99-lateness"),
        ({"records": {"pages_failed": 1}}, "max-failed-pages"),
        ({"records": {"real_channel_sends": 1}}, "real-channel-sends"),
        ({"progress": {"incidents": 10, "incidents_settled": 9}}, "max-unsettled"),
        ({"outcomes": [outcome(0.0, status=429)]}, "max-errors"),
        ({"options": {"min_accepted_rate": 1000}}, "min-accepted-rate"),
    ],
)
def test_each_threshold_fails_alone_when_its_figure_is_past_it(change, failed):
    found = detail(**change.get("records", {}))
    if "progress" in change:
        found["progress"] = found["progress"] | change["progress"]
    outcomes = [outcome(i / 100) for i in range(100)] + change.get("outcomes", [])
    made = build(found, drive(outcomes), **({"min_accepted_rate": 50} | change.get("options", {})))
    assert not made["passed"]
    assert [name for name, held in verdicts(made).items() if not held] == [failed]


def test_the_previous_reports_figures_stand_beside_the_new_ones():
    good = drive([outcome(i / 100) for i in range(100)])
    first = build(detail(), good)
    second = build(detail(alert_to_first_page=[4.0] * 10), good, previous=first)
    assert second["previous"]["id"] == 4
    row = next(r for r in second["comparison"] if r["figure"] == "alert_to_first_page_p99")
    assert (row["now"], row["before"]) == (4.0, 2.0)
    assert all(r["before"] is None for r in first["comparison"])


class Tags(HTMLParser):
    """Collect tags and check that every opened element is closed in order."""

    VOID = {"meta", "br", "img", "input", "link", "rect", "line"}

    def __init__(self):
        super().__init__()
        self.open, self.seen, self.attributes, self.errors = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.seen.append(tag)
        self.attributes.extend(attrs)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.seen.append(tag)
        self.attributes.extend(attrs)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.errors.append(tag)


def test_the_html_page_is_well_formed_self_contained_and_readable_without_the_charts():
    good = drive([outcome(i / 100) for i in range(100)])
    made = build(detail(escalation_lateness=[0.5]), good, previous=build(detail(), good))
    page = html.render(made)
    parser = Tags()
    parser.feed(page)
    assert not parser.errors and not parser.open
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    # Nothing fetched: no script, no external stylesheet or image, no http(s) address at all.
    assert "script" not in parser.seen and "link" not in parser.seen
    assert not [v for _, v in parser.attributes if v and re.match(r"(https?:)?//", v)]
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    # Every chart has a text title and a table of its figures; headings name each section.
    charts = page.count("<svg ")
    assert charts >= 7
    assert page.count('role="img"') == charts and page.count("<title id=") == charts
    assert page.count("<table>") > charts
    assert "<h1>" in page and "Alert to first page" in page and "Step 1" in page
    assert "PASS" in page and "rehearsal 4" in page


def test_a_failed_threshold_shows_as_fail_on_the_page():
    made = build(detail(pages_failed=2), drive([outcome(0.0)]), min_accepted_rate=0)
    page = html.render(made)
    assert "failed</h1>" in page
    assert re.search(r"Pages that failed.*?FAIL", page)


def test_the_client_package_never_imports_the_servers_code():
    """`manage.py rehearse` must work against a remote Plantão: its package speaks HTTP only."""
    for path in sorted((ROOT / "incidents" / "rehearse").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in {"django", "incidents", "oncall"}, (path, name)
