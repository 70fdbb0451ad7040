"""A postmortem as a document (pure over a postmortem loaded by postmortem_detail): Markdown
that renders alike on any Git host (GitHub Flavored Markdown: headings, pipe tables), and the
same rendered to safe HTML for the printable page.

Times are shown in the reader's zone with its offset, and in UTC. Text people typed into the
one-line fields (titles, timeline entries, names) is escaped so that it reads as typed and
never breaks a table; the sections' bodies are Markdown already and are kept as written. The
HTML rendering refuses raw HTML and unsafe links (javascript:, data:…) whatever the text holds.
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

from markdown_it import MarkdownIt

from incidents.models import Postmortem
from incidents.postmortem_times import duration, local_and_utc

# The punctuation that can start Markdown inline syntax (emphasis, code, links, raw HTML,
# entities, strikethrough) or end a table cell: a backslash before it makes it literal
# (CommonMark 2.4; GFM tables read "\|" as "|"). Text never starts a line here, so the marks
# that matter only there (#, -, +, 1.) are left alone, but for a heading's closing #.
SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def inline(text: str) -> str:
    """Return `text` as literal Markdown on one line: no markup, no raw HTML, no cell break."""
    escaped = SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return escaped[:-1] + "\\#" if escaped.endswith("#") else escaped


def _row(cells) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(headings: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(headings), _row(["---"] * len(headings)), *(_row(row) for row in rows)]


def _when(at, zone: ZoneInfo) -> str:
    if at is None:
        return "—"
    local, utc = local_and_utc(at, zone)
    return f"{local} · {utc}"


def _facts(postmortem: Postmortem, zone: ZoneInfo) -> list[str]:
    incidents = ", ".join(
        inline(f"#{incident.pk} {incident.title} ({incident.service.name})")
        for incident in postmortem.incidents.all()
    )
    reviewers = ", ".join(
        inline(reviewer.person.display_name)
        + (" (approved)" if reviewer.approved_at else " (asked)")
        for reviewer in postmortem.reviewers.all()
    )
    acknowledged = _when(postmortem.acknowledged_at, zone)
    if postmortem.time_to_acknowledge is not None:
        acknowledged += f" (after {duration(postmortem.time_to_acknowledge)})"
    resolved = _when(postmortem.resolved_at, zone)
    if postmortem.time_to_resolve is not None:
        resolved += f" (after {duration(postmortem.time_to_resolve)})"
    rows = [
        ["Status", postmortem.get_status_display()],
        ["Team", inline(postmortem.team.name)],
        ["Incidents", incidents or "—"],
        ["Began", _when(postmortem.began_at, zone)],
        ["Acknowledged", acknowledged],
        ["Resolved", resolved],
        ["Reviewers", reviewers or "—"],
    ]
    if postmortem.published_at:
        rows.append(["Published", _when(postmortem.published_at, zone)])
    return _table(["Fact", "Value"], rows)


def _timeline(postmortem: Postmortem, zone: ZoneInfo) -> list[str]:
    rows = []
    for entry in postmortem.entries.all():
        if entry.hidden:
            continue
        local, utc = local_and_utc(entry.at, zone)
        incident = f"#{entry.incident_id}" if entry.incident_id else ""
        rows.append(
            [
                local,
                utc,
                incident,
                inline(entry.text) + (" (edited)" if entry.edited else ""),
                inline(entry.actor_name) or "—",
                inline(entry.source) or "—",
            ]
        )
    if not rows:
        return ["Nothing on the timeline."]
    return _table([f"Time ({zone.key})", "UTC", "Incident", "What", "Who", "Through"], rows)


def _action_items(postmortem: Postmortem) -> list[str]:
    items = sorted(
        postmortem.action_items.all(),
        key=lambda item: (item.due_on is None, item.due_on or date.min, item.pk),
    )
    if not items:
        return ["None."]
    rows = [
        [
            inline(item.title),
            inline(item.owner.display_name) if item.owner else "—",
            item.due_on.isoformat() if item.due_on else "—",
            item.get_status_display(),
            f"<{item.url}>" if item.url else "—",
        ]
        for item in items
    ]
    return _table(["Action item", "Owner", "Due", "Status", "Tracked at"], rows)


def postmortem_markdown(postmortem: Postmortem, *, zone: str) -> str:
    """Return the postmortem as GitHub Flavored Markdown, times in `zone` and in UTC."""
    reader_zone = ZoneInfo(zone)
    lines = [f"# {inline(postmortem.title)}", "", *_facts(postmortem, reader_zone), ""]
    for section in postmortem.sections.all():
        lines += [f"## {inline(section.heading)}", ""]
        lines += [section.body.strip() or "_Not written yet._", ""]
    lines += ["## Timeline", "", *_timeline(postmortem, reader_zone), ""]
    lines += ["## Action items", "", *_action_items(postmortem), ""]
    return "\n".join(lines)


def _renderer() -> MarkdownIt:
    # CommonMark with GFM tables and strikethrough; "html": False turns raw HTML into text, and
    # markdown-it's own link check drops javascript:, vbscript:, file: and data: links.
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def markdown_html(text: str) -> str:
    """Return safe HTML for Markdown a person wrote."""
    return _renderer().render(text)


def postmortem_html(postmortem: Postmortem, *, zone: str) -> str:
    """Return the postmortem's document as safe HTML (the body of the printable page)."""
    return markdown_html(postmortem_markdown(postmortem, zone=zone))


def export_filename(postmortem: Postmortem) -> str:
    """Return a file name for the downloaded Markdown: postmortem-12-playback-down.md."""
    words = re.sub(r"[^a-z0-9]+", "-", postmortem.title.lower()).strip("-")[:60].rstrip("-")
    return f"postmortem-{postmortem.pk}{'-' + words if words else ''}.md"
