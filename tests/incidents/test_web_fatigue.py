"""/fatigue/: a team member reads the team's figures per person, and the heatmap person x week
with each cell's number and level in text; another team or a bad day is a 400 naming it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.incidents.insights_fixture import team_with_service
from tests.incidents.test_fatigue_selectors import ops  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

DAYS = {"since": "2026-10-24", "until": "2026-10-25"}  # Saturday and Sunday, UTC


@pytest.fixture
def ana(client, ops):  # noqa: F811
    team, ana, _ = ops
    client.force_login(ana.user)
    return ana


def test_a_member_reads_the_table_and_the_heatmap(client, ana):
    answer = client.get("/fatigue/", {**DAYS, "team": ana.teams.get().pk})
    assert answer.status_code == 200
    page = re.sub(r">\s+<", "><", answer.content.decode())
    assert 'aria-current="page">Fatigue</a>' in page
    assert "24 Oct 2026 to 25 Oct 2026" in page
    assert '<th scope="col">Week of 19 Oct</th>' in page
    # Ana, Saturday 00:00 UTC to Monday: 46 h on call, 18 at night; one sleep and one off page.
    # Score: 3 + 1 + 5 (a night woken) + 0.2 x 18 + 0.1 x 46 = 17.2, "moderate".
    row = page[page.index('<th scope="row">Ana <span') :]
    assert "<td>46</td><td>18</td><td>46</td><td>0</td><td>1 / 1 / 0</td>" in row
    assert '<td class="heat heat--2">17.2<span class="heat__nights"> · 1 night</span>' in page
    assert "(moderate)" in page
    # The mean of Ana's 17.2 and Bruno's 1 + 0.1 x 2 (two weekend hours) = 1.2: 9.2, "low".
    assert '<th scope="row">Mean per person</th><td class="heat heat--1">9.2' in page
    assert "Mean per person" in page and "How to read it" in page


def test_by_default_the_readers_team_and_the_last_28_days(client, ana, frozen_now):
    frozen_now(datetime(2026, 11, 20, 23, 30, tzinfo=UTC))
    answer = client.get("/fatigue/")
    assert answer.status_code == 200
    assert "24 Oct 2026 to 20 Nov 2026" in answer.content.decode()


@pytest.mark.parametrize(
    "field, value", [("team", "other"), ("since", "2026-02-30"), ("until", "2026-10-01")]
)
def test_a_bad_choice_is_a_400_naming_it(client, ana, field, value):
    if value == "other":
        value = team_with_service("Other").team.pk
    answer = client.get("/fatigue/", {**DAYS, field: value})
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "Nothing is shown" in page
    label = {"team": "Team", "since": "From", "until": "To"}[field]
    assert f"<li>{label}: " in page


def test_someone_in_no_team_is_told_so(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("loner"))
    answer = client.get("/fatigue/")
    assert answer.status_code == 200
    assert "not in a team yet" in answer.content.decode()
