"""A postmortem exported as Markdown reads back (with markdown-it-py, as a Git host would) as
the same headings and table cells, times in the reader's zone and in UTC; the printable page
renders the sections' Markdown with no HTML or script of the writers'."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from markdown_it import MarkdownIt

from incidents.models import (
    ActionItem,
    Incident,
    Postmortem,
    PostmortemEntry,
    PostmortemIncident,
    PostmortemReviewer,
    PostmortemSection,
    Service,
)
from incidents.postmortem_export import inline, postmortem_markdown
from incidents.postmortem_selectors import postmortem_detail
from oncall.models import Membership, Team
from oncall.services import person_create, team_member_set

pytestmark = pytest.mark.django_db

# Lisbon's clocks go back on Sunday 25 October 2026 at 01:00 UTC (02:00 WEST -> 01:00 WET).
BEGAN = datetime(2026, 10, 25, 0, 50, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
ITEM_URL = "https://tracker.example.com/SRE-12"
TRICKY = "Rolled back | *not bold* <script>alert(1)</script> [x](javascript:alert(1)) \\o/"


def person(team, name, role="responder", zone="Europe/Lisbon"):
    someone = person_create(username=name, display_name=name.title(), time_zone=zone)
    team_member_set(team=team, person=someone, role=role)
    return someone


@pytest.fixture
def sample():
    team = Team.objects.create(name="Platform SRE", slug="platform-sre")
    ana, bruno = person(team, "ana", "admin"), person(team, "bruno")
    service = Service.objects.create(name="playback", team=team)
    incident = Incident.objects.create(
        service=service, dedup_key="k", title="Playback | buffering", created_at=BEGAN
    )
    postmortem = Postmortem.objects.create(
        team=team,
        title="#1 Playback | buffering",
        began_at=BEGAN,
        acknowledged_at=BEGAN + 2 * MINUTE,
        resolved_at=BEGAN + 40 * MINUTE,
        created_at=BEGAN + timedelta(hours=2),
        updated_at=BEGAN + timedelta(hours=2),
    )
    PostmortemIncident.objects.create(postmortem=postmortem, incident=incident)
    for position, (heading, body) in enumerate(
        [
            ("Summary", "Viewers saw **endless** buffering.\n\n- one\n- two"),
            ("Impact", "<script>alert('body')</script> <img src=x onerror=alert(2)>"),
            ("Lessons", "[docs](javascript:alert(3)) and [runbook](https://example.com/rb)"),
        ]
    ):
        PostmortemSection.objects.create(
            postmortem=postmortem, position=position, heading=heading, body=body
        )

    def entry(at, text, **fields):
        return PostmortemEntry.objects.create(
            postmortem=postmortem, at=at, text=text, incident=incident, **fields
        )

    entry(BEGAN, "Alert: playback buffering", kind="alert", source="monitoring")
    entry(BEGAN + 2 * MINUTE, "Acknowledged", kind="acknowledged", source="sms", actor_name="Ana")
    entry(BEGAN + 20 * MINUTE, TRICKY, kind="note", source="web", actor_name="Bruno", edited=True)
    entry(BEGAN + 21 * MINUTE, "Noise nobody needs", kind="note", hidden=True)
    PostmortemReviewer.objects.create(
        postmortem=postmortem, person=ana, requested_at=BEGAN, approved_at=BEGAN + MINUTE
    )
    stamp = {"created_at": BEGAN, "updated_at": BEGAN}
    ActionItem.objects.create(
        postmortem=postmortem,
        title="Alert on | rebuffer ratio",
        owner=bruno,
        due_on=date(2026, 11, 6),
        url=ITEM_URL,
        **stamp,
    )
    ActionItem.objects.create(postmortem=postmortem, title="Write the runbook", **stamp)
    return postmortem, ana


def loaded(postmortem, reader):
    return postmortem_detail(postmortem_id=postmortem.pk, user=reader.user)


def text_of(token) -> str:
    return "".join(child.content for child in token.children or [] if child.type != "softbreak")


def parsed(markdown: str) -> tuple[list[str], list[list[list[str]]]]:
    """Return the headings and the tables (rows of cell texts) a GFM reader sees."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    headings, tables = [], []
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            headings.append(f"{token.tag} {text_of(tokens[index + 1])}")
        elif token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            tables[-1].append([])
        elif token.type == "inline" and tokens[index - 1].type in ("th_open", "td_open"):
            tables[-1][-1].append(text_of(token))
    return headings, tables


def test_the_markdown_reads_back_as_the_same_headings_and_tables(sample):
    postmortem, ana = sample
    markdown = postmortem_markdown(loaded(postmortem, ana), zone="Europe/Lisbon")
    headings, (facts, timeline, items) = parsed(markdown)
    assert headings == [
        "h1 #1 Playback | buffering",
        "h2 Summary",
        "h2 Impact",
        "h2 Lessons",
        "h2 Timeline",
        "h2 Action items",
    ]
    number = postmortem.incidents.get().pk
    assert dict(facts[1:])["Incidents"] == f"#{number} Playback | buffering (playback)"
    assert dict(facts[1:])["Acknowledged"] == (
        "2026-10-25 01:52:00 WEST (+01:00) · 2026-10-25 00:52:00 UTC (after 2 min)"
    )
    assert dict(facts[1:])["Reviewers"] == "Ana (approved)"
    assert timeline == [
        ["Time (Europe/Lisbon)", "UTC", "Incident", "What", "Who", "Through"],
        # Before the clocks go back, summer time; after, winter time: both with their offsets.
        [
            "2026-10-25 01:50:00 WEST (+01:00)",
            "2026-10-25 00:50:00 UTC",
            f"#{postmortem.incidents.get().pk}",
            "Alert: playback buffering",
            "—",
            "monitoring",
        ],
        ["2026-10-25 01:52:00 WEST (+01:00)", "2026-10-25 00:52:00 UTC"]
        + [f"#{postmortem.incidents.get().pk}", "Acknowledged", "Ana", "sms"],
        ["2026-10-25 01:10:00 WET (+00:00)", "2026-10-25 01:10:00 UTC"]
        + [f"#{postmortem.incidents.get().pk}", TRICKY + " (edited)", "Bruno", "web"],
    ]
    assert items == [
        ["Action item", "Owner", "Due", "Status", "Tracked at"],
        ["Alert on | rebuffer ratio", "Bruno", "2026-11-06", "Open", ITEM_URL],
        ["Write the runbook", "—", "—", "Open", "—"],
    ]
    assert "Noise nobody needs" not in markdown  # hidden entries stay out


def test_the_timeline_is_in_the_readers_own_zone(sample):
    postmortem, ana = sample
    markdown = postmortem_markdown(loaded(postmortem, ana), zone="America/Sao_Paulo")
    _, (_, timeline, _) = parsed(markdown)
    assert timeline[0][0] == "Time (America/Sao_Paulo)"
    assert timeline[1][:2] == ["2026-10-24 21:50:00 (-03:00)", "2026-10-25 00:50:00 UTC"]


def test_user_text_is_escaped_so_it_reads_as_typed():
    for text in (TRICKY, "a_b_c", "`code`", "&amp;", "~~gone~~", "ends with #", "x\\|y"):
        _, tables = parsed(f"| h |\n|---|\n| {inline(text)} |\n")
        assert tables == [[["h"], [text]]], text


def test_the_printable_page_renders_the_sections_without_any_html_of_the_writers(sample):
    postmortem, ana = sample
    client = Client()
    client.force_login(ana.user)
    answer = client.get(f"/postmortems/{postmortem.pk}/print/")
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "<strong>endless</strong>" in page and "<li>one</li>" in page  # Markdown rendered
    assert '<a href="https://example.com/rb">runbook</a>' in page
    for unsafe in ("<script>alert", "<img src=x", 'href="javascript:', "onerror=alert(2)>"):
        assert unsafe not in page, unsafe
    assert "&lt;script&gt;alert('body')&lt;/script&gt;" in page
    assert "<th>Time (Europe/Lisbon)</th>" in page
    assert "css/postmortem-print.css" in page


def test_the_markdown_downloads_as_a_file(sample):
    postmortem, ana = sample
    client = Client()
    client.force_login(ana.user)
    answer = client.get(f"/postmortems/{postmortem.pk}/export.md")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/markdown; charset=utf-8"
    assert answer["Content-Disposition"] == (
        f'attachment; filename="postmortem-{postmortem.pk}-1-playback-buffering.md"'
    )
    assert answer.content.decode().startswith("# #1 Playback \\| buffering\n")


def test_another_teams_member_finds_neither_and_a_stranger_must_log_in(sample):
    postmortem, _ = sample
    other = Team.objects.create(name="Payments", slug="payments")
    outsider = person(other, "carla", Membership.Role.ADMIN)
    client = Client()
    for path in (f"/postmortems/{postmortem.pk}/print/", f"/postmortems/{postmortem.pk}/export.md"):
        assert Client().get(path).status_code == 302  # to the login page
        client.force_login(outsider.user)
        assert client.get(path).status_code == 404
