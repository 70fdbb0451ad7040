"""The team page lists the team's open action items, the overdue first, through the panel the
incidents app gives oncall's team page (oncall never imports incidents)."""

import re
from datetime import UTC, date, datetime

import pytest
from django.test import Client

from incidents.models import ActionItem, Postmortem
from oncall import clock
from oncall.models import Membership, Team
from oncall.services import person_create, team_member_set
from oncall.web.panels import team_panels_asked
from tests.test_layers import ROOT, imported_modules

pytestmark = pytest.mark.django_db

# Wednesday 13 January 2027, 02:00 UTC: still Tuesday the 12th in São Paulo.
NOW = datetime(2027, 1, 13, 2, tzinfo=UTC)


@pytest.fixture
def sre(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    team = Team.objects.create(name="Platform SRE", slug="platform-sre")
    reader = person_create(username="ana", display_name="Ana", time_zone="America/Sao_Paulo")
    team_member_set(team=team, person=reader, role=Membership.Role.VIEWER)
    return team, reader


def postmortem_of(team: Team, title: str) -> Postmortem:
    return Postmortem.objects.create(
        team=team, title=title, began_at=NOW, created_at=NOW, updated_at=NOW
    )


def item(postmortem, title, due_on=None, **fields) -> ActionItem:
    return ActionItem.objects.create(
        postmortem=postmortem, title=title, due_on=due_on, created_at=NOW, updated_at=NOW, **fields
    )


def page_of(team, reader) -> str:
    client = Client()
    client.force_login(reader.user)
    answer = client.get(f"/teams/{team.pk}/")
    assert answer.status_code == 200
    return answer.content.decode()


def listed(page: str) -> list[str]:
    section = page.split('id="action-items"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<tr id="action-item-\d+">\s*<td>(?:<a [^>]*>)?([^<]+)', section)


def test_open_action_items_are_listed_the_overdue_first(sre):
    team, reader = sre
    mortem = postmortem_of(team, "#42 Playback down")
    item(mortem, "Someday", None)
    item(mortem, "Due Friday", date(2027, 1, 15))
    item(mortem, "Overdue since Monday", date(2027, 1, 11))
    item(mortem, "Due today", date(2027, 1, 12))  # the reader's today: not overdue yet
    item(mortem, "Overdue for weeks", date(2026, 12, 1), status=ActionItem.Status.IN_PROGRESS)
    item(mortem, "Finished", date(2026, 12, 1), status=ActionItem.Status.DONE, done_at=NOW)
    item(mortem, "Dropped", date(2026, 12, 1), status=ActionItem.Status.CANCELLED, done_at=NOW)
    page = page_of(team, reader)
    assert "Open action items" in page
    assert listed(page) == [
        "Overdue for weeks",
        "Overdue since Monday",
        "Due today",
        "Due Friday",
        "Someday",
    ]
    assert page.count("Overdue</span>") == 2
    assert "2 overdue as of Tue 12 Jan (America/Sao_Paulo)" in page


def test_another_teams_items_are_not_on_the_page(sre):
    team, reader = sre
    other = Team.objects.create(name="Payments", slug="payments")
    item(postmortem_of(other, "Card declines"), "Their item", date(2027, 1, 1))
    item(postmortem_of(team, "#42 Playback down"), "Our item", date(2027, 1, 1))
    page = page_of(team, reader)
    assert listed(page) == ["Our item"]
    assert "Their item" not in page


def test_a_team_with_nothing_open_shows_no_panel(sre):
    team, reader = sre
    item(postmortem_of(team, "#42"), "Finished", status=ActionItem.Status.DONE, done_at=NOW)
    assert "Open action items" not in page_of(team, reader)


def test_a_title_is_shown_as_text_never_as_markup(sre):
    team, reader = sre
    item(postmortem_of(team, "#42"), "<script>alert(1)</script>", date(2027, 1, 1))
    page = page_of(team, reader)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_panel_comes_from_the_upper_layer_through_the_signal_only(sre, rf):
    team, reader = sre
    item(postmortem_of(team, "#42"), "Alert on buffering", date(2027, 1, 1))
    request = rf.get("/")
    request.user = reader.user
    answers = team_panels_asked.send(sender=Team, team=team, request=request, now=NOW)
    assert {r.__module__ for r, answer in answers if answer} == {"incidents.postmortem_panels"}
    for path in (ROOT / "oncall" / "web").rglob("*.py"):
        assert not [m for m in imported_modules(path) if m.split(".")[0] == "incidents"], path
