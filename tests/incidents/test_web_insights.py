"""/insights/: a team member reads their team's figures, charts with their tables, for the days
and zone they choose; another team's service or an unknown zone is a 400 naming the field."""

from __future__ import annotations

import pytest

from tests.incidents.insights_fixture import history, team_with_service

pytestmark = pytest.mark.django_db

DAYS = {"since": "2026-11-01", "until": "2026-11-05", "tz": "America/Sao_Paulo"}


@pytest.fixture
def ana(client):
    service, ana, _ = history()
    client.force_login(ana.user)
    return ana


def test_a_member_reads_the_figures_charts_and_tables(client, ana):
    answer = client.get("/insights/", DAYS)
    assert answer.status_code == 200
    page = answer.content.decode()
    assert 'aria-current="page">Insights</a>' in page
    assert "1 Nov 2026 00:00 to 6 Nov 2026 00:00" in page and "(UTC-0300)" in page
    assert "<dd>3 min 25 s</dd>" in page  # MTTA median, 205 s
    assert "<dd>1 h 15 min</dd>" in page  # MTTR median, 4530 s
    assert page.count('role="img"') == 5 and page.count("<title id=") == 5
    assert "Pages by hour of day" in page and '<th scope="row">Sleep hours</th>' in page
    assert (
        '<th scope="row" class="insight__name">DiskFull</th><td>10</td><td>30</td><td>6</td>'
        in (page)
    )
    assert "Elsewhere" not in page  # another team's


def test_by_default_the_last_30_days_in_the_readers_zone(client, ana):
    answer = client.get("/insights/")
    assert answer.status_code == 200
    assert "America/Sao_Paulo" in answer.content.decode()


@pytest.mark.parametrize("field, value", [("tz", "Mars/Olympus"), ("service", "other")])
def test_a_bad_choice_is_a_400_naming_it(client, ana, field, value):
    if value == "other":
        value = team_with_service("Other").pk
    answer = client.get("/insights/", {**DAYS, field: value})
    assert answer.status_code == 400
    label = {"tz": "Time zone", "service": "Service"}[field]
    assert f"<li>{label}: " in answer.content.decode()


def test_a_period_over_366_days_is_refused(client, ana):
    answer = client.get("/insights/", {**DAYS, "since": "2025-01-01"})
    assert answer.status_code == 400
    assert "<li>To: Ask for at most 366 days at a time.</li>" in answer.content.decode()
