"""The report as one self-contained HTML page: inline CSS and SVG charts, no script, no external
asset. Each chart has a heading, a text title and a table of its figures, so it reads without
sight and without the picture.

Pure: a report dict in, a string out.
"""

from __future__ import annotations

from html import escape

from .report import LATENCIES, bucket_labels

STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem}h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #888;padding:.2rem .5rem}
th{background:#eee;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#0a5d12;font-weight:bold}.fail{color:#a4000f;font-weight:bold}
svg text{font-size:11px;fill:#1b1b1b}svg .bar{fill:#2a5db0}
"""
CHART_W, CHART_H, PAD_L, PAD_B, PAD_T = 640, 220, 48, 56, 12


def number(value, unit: str = "") -> str:
    """Format a figure for people: None as an em dash, seconds to 3 significant digits."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value}{unit}"
    return f"{value:.3g}{unit}"


def bar_chart(*, chart_id: str, title: str, labels: list[str], values: list[float]) -> str:
    """Return an SVG bar chart with a title, axis labels and a text label on every bar."""
    top = max(values, default=0) or 1
    width = (CHART_W - PAD_L) / max(len(values), 1)
    inner = CHART_H - PAD_B - PAD_T
    parts = [
        f'<svg role="img" aria-labelledby="{chart_id}-t" width="{CHART_W}" height="{CHART_H}" '
        f'viewBox="0 0 {CHART_W} {CHART_H}">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<line x1="{PAD_L}" y1="{PAD_T + inner}" x2="{CHART_W}" y2="{PAD_T + inner}" '
        'stroke="#1b1b1b"/>',
        f'<text x="{PAD_L - 4}" y="{PAD_T + 8}" text-anchor="end">{number(top)}</text>',
        f'<text x="{PAD_L - 4}" y="{PAD_T + inner}" text-anchor="end">0</text>',
    ]
    label_every = max(len(values) // 12, 1)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = inner * value / top
        x = PAD_L + i * width
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{PAD_T + inner - height:.1f}" '
            f'width="{max(width - 2, 1):.1f}" height="{height:.1f}"/>'
        )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{PAD_T + inner + 14}" text-anchor="end" '
                f'transform="rotate(-35 {x + width / 2:.1f} {PAD_T + inner + 14})">'
                f"{escape(label)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def table(caption: str, head: list[str], rows: list[list[str]]) -> str:
    """Return an HTML table; cells already formatted (numbers right-aligned)."""
    heads = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(c)}</td>' if i else f'<th scope="row">{escape(c)}</th>'
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><caption>{escape(caption)}</caption><tr>{heads}</tr>{body}</table>"


def _distribution(chart_id: str, title: str, figure: dict) -> str:
    labels = bucket_labels()
    stats_rows = [[p, number(figure[p], " s")] for p in ("p50", "p90", "p99", "max")]
    stats_rows.insert(0, ["count", number(figure["count"])])
    return (
        f"<h3>{escape(title)}</h3>"
        + table(f"{title}: percentiles", ["Figure", "Value"], stats_rows)
        + bar_chart(
            chart_id=chart_id,
            title=f"{title}: how many fell in each latency bucket",
            labels=labels,
            values=figure["histogram"],
        )
        + table(
            f"{title}: histogram",
            ["Bucket", "Count"],
            [[label, str(n)] for label, n in zip(labels, figure["histogram"], strict=True)],
        )
    )


def _flag(line: dict) -> str:
    return f"--{line['name']}" if line.get("option", True) else "always"


def _thresholds(report: dict) -> str:
    rows = []
    for line in report["thresholds"]:
        verdict = "PASS" if line["passed"] else "FAIL"
        rows.append(
            f'<tr><th scope="row">{escape(line["label"])} ({escape(_flag(line))})</th>'
            f'<td class="n">{number(line["value"])}</td>'
            f'<td class="n">{escape(line["op"])} {number(line["limit"])}</td>'
            f'<td class="{verdict.lower()}">{verdict}</td></tr>'
        )
    head = "".join(f'<th scope="col">{h}</th>' for h in ("Threshold", "Value", "Limit", "Result"))
    return f"<table><caption>Thresholds</caption><tr>{head}</tr>{''.join(rows)}</table>"


def render(report: dict) -> str:
    """Return the report of a rehearsal as a complete HTML document."""
    meta, drive, server = report["rehearsal"], report["drive"], report["server"]
    verdict = "passed" if report["passed"] else "failed"
    title = f"Rehearsal {meta.get('id')} of {meta.get('rehearsal_of') or meta.get('service')}"
    previous = report.get("previous")
    before = f"rehearsal {previous['id']}" if previous else "no earlier rehearsal"
    sections = [
        f"<h1>{escape(title)}: {verdict}</h1>",
        "<p>"
        + escape(
            f"{meta.get('alerts')} alerts, shape {meta.get('shape')}, asked at "
            f"{meta.get('rate')} a second, against {meta.get('url')}, "
            f"started {meta.get('started_at')}."
        )
        + "</p>",
        "<h2>Thresholds</h2>",
        _thresholds(report),
        "<h2>Figures beside the previous rehearsal</h2>",
        table(
            f"This rehearsal and {before}",
            ["Figure", "Now", "Before"],
            [
                [row["figure"].replace("_", " "), number(row["now"]), number(row["before"])]
                for row in report["comparison"]
            ],
        ),
        "<h2>Alerts accepted per second</h2>",
        table(
            "Driving",
            ["Figure", "Value"],
            [
                ["alerts sent", number(drive["alerts_sent"])],
                ["alerts accepted", number(drive["alerts_accepted"])],
                ["accepted a second", number(drive["accepted_rate"])],
                ["asked a second", number(drive["asked_rate"])],
                ["requests refused or failed", number(drive["error_requests"])],
                ["requests sent behind plan, p99", number(drive["lateness"]["p99"], " s")],
                ["HTTP latency, p99", number(drive["request_latency"]["p99"], " s")],
                *[[f"error: {name}", str(n)] for name, n in sorted(drive["errors"].items())],
                ["driver cores used", number(drive["cores"])],
            ],
        ),
        bar_chart(
            chart_id="accepted",
            title="Alerts accepted in each second of the drive",
            labels=[f"{s} s" for s in range(len(drive["accepted_per_second"]))],
            values=drive["accepted_per_second"],
        ),
        table(
            "Alerts accepted in each second",
            ["Second", "Alerts"],
            [[f"{s} s", str(n)] for s, n in enumerate(drive["accepted_per_second"])],
        ),
        "<h2>Latency: alert, incident, first page, last page</h2>",
        *[_distribution(name, label, report["latency"][name]) for name, label in LATENCIES.items()],
        "<h2>Until the last person of each step had their text or call</h2>",
        *[
            _distribution(f"step-{step}", f"Step {int(step) + 1}", figure)
            for step, figure in report["steps"].items()
        ],
        "<h2>Escalation lateness</h2>",
        _distribution("lateness", "Escalation lateness", report["escalation_lateness"]),
        "<h2>What the server recorded</h2>",
        table(
            "Server",
            ["Figure", "Value"],
            [
                ["incidents", number(server["incidents"])],
                ["incidents not settled", number(server["unsettled"])],
                ["pages", number(server["pages"])],
                ["pages failed", number(server["pages_failed"])],
                ["pages through a real channel", number(server["real_channel_sends"])],
                *[[f"pages by {k}", str(n)] for k, n in sorted(server["pages_by_kind"].items())],
            ],
        ),
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{''.join(sections)}</main></body></html>\n"
    )
