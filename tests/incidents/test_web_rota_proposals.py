"""The fair rota pages (Django's test client): a team admin finds "Propose a fair rota" on the
schedule page, asks for a proposal, watches it solving, reads the report and applies it; a
responder is refused, another team's schedule does not exist."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents.models import RotaProposal
from incidents.proposals import services
from incidents.proposals.services import rota_proposal_solve
from oncall.models import Override
from tests.incidents.rota_world import NOW, rota_world


@pytest.fixture
def world(db, frozen_now, monkeypatch):
    frozen_now(NOW)
    monkeypatch.setattr(services, "_queue", lambda pk: None)  # the worker is run by hand
    return rota_world()


def _as(client, person):
    client.force_login(person.user)
    return client


def test_an_admin_proposes_reads_and_applies_a_fair_rota(client, world):
    _as(client, world.admin)
    page = client.get(f"/schedules/{world.schedule.pk}/")
    assert "Propose a fair rota" in page.content.decode()

    form = client.get(f"/schedules/{world.schedule.pk}/proposals/")
    assert form.status_code == 200
    text = form.content.decode()
    for label in ("Weeks", "Start", "Time limit (seconds)"):
        assert f">{label}</label>" in text

    asked = client.post(
        f"/schedules/{world.schedule.pk}/proposals/", {"weeks": 1, "time_limit_seconds": 3}
    )
    assert asked.status_code == 302
    proposal = RotaProposal.objects.get()
    assert asked.url == f"/schedules/{world.schedule.pk}/proposals/{proposal.pk}/"
    solving = client.get(asked.url).content.decode()
    assert "Solving" in solving and "hx-trigger" in solving

    rota_proposal_solve(proposal_id=proposal.pk, now=NOW)
    part = client.get(asked.url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in part  # solved: the page stops polling
    for text in ("Fairness", "Team mean", "Uncovered hours", "Rules held", "Shifts", "Apply"):
        assert text in part
    assert "Ana Souza" in part and "Wei Tan" in part

    applied = client.post(f"{asked.url}apply/")
    assert applied.status_code == 302
    assert applied.url == f"/schedules/{world.schedule.pk}/"
    count = Override.objects.count()
    assert count > 0
    shown = client.get(applied.url).content.decode()
    assert f"Proposal applied: {count} override" in shown


def test_bad_weeks_show_the_form_again_with_the_error(client, world):
    _as(client, world.admin)
    answer = client.post(f"/schedules/{world.schedule.pk}/proposals/", {"weeks": 0})
    assert answer.status_code == 400
    assert "field--invalid" in answer.content.decode()
    assert not RotaProposal.objects.exists()


def test_a_responder_is_refused_and_a_stranger_finds_nothing(client, world):
    _as(client, world.ana)
    assert (
        "Propose a fair rota" not in client.get(f"/schedules/{world.schedule.pk}/").content.decode()
    )
    assert client.get(f"/schedules/{world.schedule.pk}/proposals/").status_code == 403
    refused = client.post(f"/schedules/{world.schedule.pk}/proposals/", {"weeks": 1})
    assert refused.status_code == 403
    assert not RotaProposal.objects.exists()
    _as(client, world.stranger)
    assert client.get(f"/schedules/{world.schedule.pk}/proposals/").status_code == 404


def test_a_proposal_no_worker_took_says_so(client, world, frozen_now):
    _as(client, world.admin)
    client.post(f"/schedules/{world.schedule.pk}/proposals/", {"weeks": 1, "time_limit_seconds": 3})
    proposal = RotaProposal.objects.get()
    url = f"/schedules/{world.schedule.pk}/proposals/{proposal.pk}/"
    assert "check that it is running" not in client.get(url).content.decode()
    frozen_now(NOW + timedelta(minutes=10))
    assert "check that it is running" in client.get(url).content.decode()
