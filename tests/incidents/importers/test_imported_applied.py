"""Each importer's file applied for real: `config apply` takes it whole, and the database's
schedules answer who is on call as the file does (which --verify checked against the old tool)."""

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from incidents.configuration import normal
from incidents.configuration.rotas import rota_of
from incidents.importers import verify
from oncall import clock, rota
from oncall.models import Schedule
from oncall.selectors import oncall_at
from tests.incidents.importers import fake_grafana_oncall, fake_opsgenie, fake_pagerduty

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 8 weeks on: the US, EU and Sydney DST changes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "tool, fixtures",
    [
        ("grafana-oncall", fake_grafana_oncall.FIXTURES),
        ("opsgenie", fake_opsgenie.FIXTURES),
        ("pagerduty", fake_pagerduty.FIXTURES),
    ],
)
def test_the_imported_file_applies_and_the_database_answers_as_the_file_does(
    tool, fixtures, tmp_path, monkeypatch
):
    monkeypatch.setattr(clock, "now", lambda: START)
    path = tmp_path / "plantao.yaml"
    call_command("import", tool, "--from", str(fixtures), "-o", str(path), stderr=io.StringIO())
    out = io.StringIO()
    call_command("config", "apply", str(path), "--trust-verified", stdout=out)
    assert "to create" in out.getvalue()
    again = io.StringIO()
    call_command("config", "apply", str(path), stdout=again)
    assert "No changes" in again.getvalue()

    config = normal.load(path.read_text()).config
    at = verify.instants(START)
    assert config["schedules"]
    for schedule in config["schedules"]:
        stored = Schedule.objects.get(name=schedule["name"])
        ours = rota_of(schedule)
        for moment in at:
            expected = rota.on_call_at(ours, moment) if ours.layers or ours.overrides else None
            person = oncall_at(schedule=stored, at=moment)
            assert (person.user.email if person else None) == expected, (schedule["name"], moment)
