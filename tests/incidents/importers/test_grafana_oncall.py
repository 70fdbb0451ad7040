"""manage.py import grafana-oncall: the fixtures (documented API answers) to a configuration file,
checked against a local fake of Grafana OnCall's API."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from incidents.configuration import normal
from incidents.configuration.rotas import rota_of
from incidents.importers import grafana_oncall
from incidents.importers.sources import Api, Folder
from oncall import clock, rota
from tests.incidents.importers.fake_grafana_oncall import FIXTURES, TOKEN, FakeGrafanaOnCall
from tests.incidents.importers.fakeapi import serving

# Eight weeks from here hold the US (2027-03-14), European (03-28) and Sydney (04-04) changes.
START = datetime(2027, 3, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: START)


@pytest.fixture(scope="module")
def imported():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: START)
        source = Folder(FIXTURES, grafana_oncall.HOW_TO_SAVE)
        return grafana_oncall.convert(grafana_oncall.fetch(source))


def named(items: list[dict], name: str) -> dict:
    return next(item for item in items if item["name"] == name)


def layers(imported, schedule: str) -> dict[str, dict]:
    found = named(imported.config["schedules"], schedule)
    return {layer["name"]: layer for layer in found["layers"]}


def reported(imported) -> list[str]:
    return [str(item) for item in imported.unmapped]


# --- convert() ---------------------------------------------------------------------------------


def test_follow_the_sun_keeps_each_region_zone_and_handoff_in_priority_order(imported):
    sun = layers(imported, "Follow the sun")
    assert list(sun) == ["Americas days", "Europe days", "APAC days"]  # level 0, 1, 2
    americas, europe, apac = sun.values()
    assert americas["time_zone"] == "America/New_York"
    assert americas["turn_unit"] == "weeks"
    assert americas["handoff"] == "2027-01-04T00:00:00-05:00"  # the week begins on Monday
    assert americas["active_from"] == "2027-01-04T09:00:00-05:00"
    assert americas["restrictions"] == [{"kind": "daily", "start": "09:00", "duration": "08:00"}]
    assert americas["participants"] == [
        "ana.souza@example.com",
        "bruno.lima@example.com",
        "carla.mendes@example.com",
    ]
    assert europe["time_zone"] == "Europe/Lisbon"
    assert (europe["turn_unit"], europe["turn_count"]) == ("days", 1)
    assert europe["handoff"] == "2027-01-04T07:00:00+00:00"
    # start_rotation_from_user_index 1: Eva takes the first turn.
    assert europe["participants"][0] == "eva.rocha@example.com"
    assert apac["time_zone"] == "Australia/Sydney"
    assert apac["restrictions"] == [{"kind": "daily", "start": "08:00", "duration": "09:00"}]


def test_handoffs_stay_at_local_time_across_the_dst_changes(imported):
    schedule = normal.normalized(imported.config)["schedules"]
    sun = rota_of(named(schedule, "Follow the sun"))
    at = [datetime(2027, 3, day, 6, 30, tzinfo=UTC) for day in (26, 29)]
    at.append(datetime(2027, 4, 5, 6, 30, tzinfo=UTC))
    # 06:30 UTC: a gap before Lisbon's change; Europe's 07:00 (now 06:00 UTC) after it; and
    # after Sydney's change, APAC's 17:00 has moved to 07:00 UTC and its higher level wins.
    assert [rota.on_call_at(sun, moment) for moment in at] == [
        None,
        "eva.rocha@example.com",
        "hiro.sato@example.com",  # Monday 16:30 in Sydney, week 13 of the rotation
    ]


def test_business_hours_are_weekday_restrictions_over_a_weekly_rotation(imported):
    payments = layers(imported, "Payments primary")
    weekly = payments["Payments weekly"]
    assert weekly["handoff"] == "2026-12-07T10:00:00+00:00"
    assert weekly["time_zone"] == "Europe/Lisbon"  # the shift has none: the schedule's
    assert weekly["restrictions"] == []
    business = payments["Payments business hours"]
    assert [r["weekday"] for r in business["restrictions"]] == ["mon", "tue", "wed", "thu", "fri"]
    assert {(r["start"], r["duration"]) for r in business["restrictions"]} == {("09:00", "09:00")}


def test_overrides_that_have_not_ended_are_kept_and_single_events_are_bounded_layers(imported):
    sun = named(imported.config["schedules"], "Follow the sun")
    assert sun["overrides"] == [
        {
            "person": "eva.rocha@example.com",
            "start": "2027-03-20T05:00:00+00:00",
            "end": "2027-03-21T07:00:00+00:00",
            "reason": "Eva covers Diogo's trip",
        }
    ]  # the 2026 swap had ended
    watch = layers(imported, "Database weekends")["Migration watch"]
    assert (watch["active_from"], watch["active_until"]) == (
        "2027-03-13T20:00:00+08:00",
        "2027-03-14T02:00:00+08:00",
    )


def test_escalation_chains_become_steps_with_the_waits_between_them(imported):
    sre = named(imported.config["escalation_policies"], "SRE critical")
    assert sre["team"] == "SRE"
    assert sre["repeat"] == 5
    assert [(s["escalate_after_minutes"], s["targets"]) for s in sre["steps"]] == [
        (5, [{"schedule": "Follow the sun"}]),
        (15, [{"person": "ana.souza@example.com"}, {"person": "diogo.alves@example.com"}]),
        (5, [{"team_all": "SRE"}]),
    ]
    payments = named(imported.config["escalation_policies"], "Payments default")
    assert [s["escalate_after_minutes"] for s in payments["steps"]] == [15, 5]


def test_teams_members_roles_and_the_team_for_what_had_none(imported):
    teams = {team["name"]: team for team in imported.config["teams"]}
    assert set(teams) == {"SRE", "Payments", "General"}
    sre = {m["person"]: m["role"] for m in teams["SRE"]["members"]}
    assert sre["ana.souza@example.com"] == "admin"
    assert sre["luis.garcia@example.com"] == "responder"  # in two teams
    general = {m["person"]: m["role"] for m in teams["General"]["members"]}
    # An observer the Database chain pages must be able to answer.
    assert general == {
        "nuno.ferreira@example.com": "responder",
        "olga.ivanova@example.com": "responder",
    }
    assert named(imported.config["schedules"], "Database weekends")["team"] == "General"
    assert any("'General'" in note for note in imported.notes)


def test_people_keep_zone_and_the_default_notification_rules(imported):
    ana = next(p for p in imported.config["people"] if p["email"] == "ana.souza@example.com")
    assert ana["time_zone"] == "America/New_York"
    methods = {m["kind"]: m for m in ana["contact_methods"]}
    assert methods["slack"]["address"] == "U01ANA0001"
    assert {r["after_minutes"] for r in methods["slack"]["rules"]} == {0}
    assert {r["after_minutes"] for r in methods["email"]["rules"]} == {5}


def test_integrations_become_services_of_the_chain_they_route_to(imported):
    services = {s["name"]: s for s in imported.config["services"]}
    assert set(services) == {"sre-critical", "payments-default", "database"}
    sre = services["sre-critical"]
    assert sre["escalation_policy"] == "SRE critical"
    assert [(i["kind"], i["name"]) for i in sre["integrations"]] == [
        ("alertmanager", "Prometheus Alertmanager"),
        ("grafana", "Grafana Alerting"),
    ]
    assert any(
        "/integrations/alertmanager/<token>/" in note and "Prometheus Alertmanager" in note
        for note in imported.notes
    )


def test_what_does_not_map_is_reported(imported):
    report = "\n".join(reported(imported))
    for expected in (
        "schedule 'Legacy iCal'",
        "notify_user_group",
        "notify_person_next_each_time",
        "trigger_webhook",
        "integration 'Zabbix'",
        "route 'Prometheus Alertmanager / team=\"payments\"'",
        "notify_by_telegram",
        "notify_by_sms",
        "'important' rules",
        "schedule SICL2P6R4TV3C was not imported",
        "schedule 'Payments primary': its Slack channel",
    ):
        assert expected in report
    assert set(imported.schedule_ids) == {"Follow the sun", "Payments primary", "Database weekends"}


def _shift(sid, level, start, users, **more):
    return {
        "id": sid,
        "name": sid,
        "type": "rolling_users",
        "time_zone": "Europe/Lisbon",
        "level": level,
        "start": start,
        "duration": 8 * 3600,
        "frequency": "daily",
        "interval": 1,
        "rolling_users": users,
        "start_rotation_from_user_index": 0,
        **more,
    }


def test_shapes_plantao_cannot_express_are_reported_not_dropped():
    answers = {
        "users": [
            {"id": f"U{n}", "email": f"u{n}@example.com", "username": f"u{n}", "teams": []}
            for n in range(4)
        ],
        "schedules": [
            {"id": "S1", "name": "Odd", "type": "web", "time_zone": "UTC", "team_id": None}
            | {"shifts": ["A", "B", "C", "D", "E"]}
        ],
        "on_call_shifts": [
            _shift("A", 0, "2027-02-01T09:00:00", [["U0"], ["U1"]]),
            _shift("B", 0, "2027-02-01T13:00:00", [["U2"]]),  # overlaps A, same level
            _shift("C", 1, "2027-02-01T09:00:00", [["U0", "U3"]]),  # two at once
            _shift("D", 2, "2027-02-01T09:00:00", [["U1"]], frequency="monthly"),
            _shift("E", 3, "2027-02-01T09:00:00", [["U2"]], interval=2),
        ],
    }
    imported = grafana_oncall.convert(answers)
    report = "\n".join(reported(imported))
    assert "'A' and 'B' have the same priority level 0 and overlap" in report
    assert "shift 'Odd / C': puts several users on call at once" in report
    assert "shift 'Odd / D': repeats monthly" in report
    assert "shift 'Odd / E': has events of 08:00 every 2 days" in report
    assert [layer["name"] for layer in layers(imported, "Odd").values()] == ["A", "B", "C", "E"]
    normal.normalized(imported.config)


# --- manage.py import --------------------------------------------------------------------------


def test_import_from_a_saved_folder_writes_a_file_config_apply_accepts(tmp_path):
    out, err = tmp_path / "plantao.yaml", StringIO()
    call_command("import", "grafana-oncall", "--from", str(FIXTURES), "-o", str(out), stderr=err)
    loaded = normal.load(out.read_text(), name=out.name)
    assert {s["name"] for s in loaded.config["schedules"]} == {
        "Database weekends",
        "Follow the sun",
        "Payments primary",
    }
    assert len(loaded.config["people"]) == 15  # both saved pages of users
    assert "Imported from Grafana OnCall: 3 teams, 15 people, 3 schedules" in err.getvalue()
    assert "integration 'Zabbix'" in out.read_text()  # the report heads the file too


def test_a_missing_saved_file_names_the_curl_command_that_saves_it(tmp_path):
    folder = tmp_path / "saved"
    shutil.copytree(FIXTURES, folder)
    (folder / "escalation_policies.json").unlink()
    with pytest.raises(CommandError) as error:
        call_command("import", "grafana-oncall", "--from", str(folder))
    message = str(error.value)
    assert "escalation_policies.json is missing" in message
    assert '"$ONCALL_URL/api/v1/escalation_policies/" > escalation_policies.json' in message


def test_verify_against_the_api_finds_no_difference_over_200_instants(tmp_path):
    err = StringIO()
    with serving(FakeGrafanaOnCall()) as fake:
        call_command(
            "import",
            "grafana-oncall",
            "--url",
            fake.url,
            "--token",
            TOKEN,
            "--verify",
            "-o",
            str(tmp_path / "plantao.yaml"),
            stderr=err,
        )
    assert "/api/v1/users/" in fake.requests
    assert fake.requests.count("/api/v1/users/") == 2  # page 2 followed from `next`
    assert "Verified 3 schedules at 200 instants over 8 weeks: 600 answers compared, 0 differ." in (
        err.getvalue()
    )


def test_verify_prints_each_difference_and_fails_when_a_layer_hands_off_later(tmp_path):
    err = StringIO()
    late = FakeGrafanaOnCall(late={"OEUR2": timedelta(hours=1)})  # Europe's shift, an hour on
    with serving(late) as fake, pytest.raises(SystemExit) as exit:
        call_command(
            "import",
            "grafana-oncall",
            "--url",
            fake.url,
            "--token",
            TOKEN,
            "--verify",
            "-o",
            str(tmp_path / "plantao.yaml"),
            stderr=err,
        )
    assert exit.value.code == 1
    lines = [line for line in err.getvalue().splitlines() if "≠" in line]
    assert lines and all(line.strip().startswith("≠ Follow the sun at 2027-") for line in lines)
    assert " 0 differ" not in err.getvalue()
    assert f"{len(lines)} differ." in err.getvalue()


def test_a_wrong_token_says_so_without_showing_it():
    with serving(FakeGrafanaOnCall()) as fake, pytest.raises(CommandError) as error:
        call_command("import", "grafana-oncall", "--url", fake.url, "--token", "wrong-secret-42")
    message = str(error.value)
    assert "the token was refused" in message
    assert "wrong-secret-42" not in message
    assert TOKEN not in message


def test_shifts_of_one_level_that_overlap_are_reported_and_verify_shows_both_people(tmp_path):
    folder = tmp_path / "saved"
    shutil.copytree(FIXTURES, folder)
    shifts = json.loads((folder / "on_call_shifts.json").read_text())
    europe = next(s for s in shifts["results"] if s["id"] == "OEUR2")
    europe["level"] = 0  # the Americas' level: both on call where they overlap
    (folder / "on_call_shifts.json").write_text(json.dumps(shifts))
    err = StringIO()
    with serving(FakeGrafanaOnCall(folder=folder)) as fake, pytest.raises(SystemExit):
        call_command(
            "import", "grafana-oncall", "--url", fake.url, "--token", TOKEN, "--verify",
            "-o", str(tmp_path / "plantao.yaml"), stderr=err,
        )  # fmt: skip
    said = err.getvalue()
    assert "shifts 'Americas days' and 'Europe days' have the same priority level 0" in said
    both = [line for line in said.splitlines() if "≠" in line and "says " in line]
    assert any(
        re.search(r"old tool says \S+@example\.com, \S+@example\.com, Plantão says", line)
        for line in both
    )


def test_the_url_may_be_the_oncall_root_or_its_api_v1():
    with serving(FakeGrafanaOnCall()) as fake:
        api = Api(f"{fake.url}/api/v1/", TOKEN, grafana_oncall.auth)
        answers = grafana_oncall.fetch(api)
    assert len(answers["users"]) == 15
    assert all(answers[name] for name in grafana_oncall.LISTS)
