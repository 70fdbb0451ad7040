"""`manage.py import pagerduty`: PagerDuty's documented answers made a configuration file, and
--verify against a local fake of its API that computes /oncalls on its own."""

from __future__ import annotations

import copy
import io
import json
import shutil
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from incidents.configuration import normal
from incidents.configuration.rotas import rota_of
from incidents.importers import pagerduty
from incidents.importers.sources import Folder
from oncall import clock, rota
from tests.incidents.importers import fake_pagerduty
from tests.incidents.importers.fakeapi import serving

FIXTURES = fake_pagerduty.FIXTURES
START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 8 weeks on: the US (14th) and EU (28th) DST


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: START)


@pytest.fixture(scope="module")
def answers():
    return pagerduty.fetch(Folder(FIXTURES, pagerduty.HOW_TO_SAVE))


@pytest.fixture(scope="module")
def imported(answers):
    return pagerduty.convert(answers)


def _by_name(items, name):
    (found,) = [item for item in items if item["name"] == name]
    return found


def _person(imported, email):
    (found,) = [p for p in imported.config["people"] if p["email"] == email]
    return found


# --- convert ------------------------------------------------------------------------------------


def test_every_user_comes_with_zone_and_phone_methods_and_rules(imported):
    assert len(imported.config["people"]) == 17
    jane = _person(imported, "jane.miller@example.com")  # PagerDuty had Jane.Miller@
    assert jane["time_zone"] == "America/New_York"
    methods = {(m["kind"], m["address"]): m["rules"] for m in jane["contact_methods"]}
    assert methods[("voice", "+12125550110")] == [{"urgency": "high", "after_minutes": 5}]
    assert methods[("sms", "+12125550110")] == [{"urgency": "high", "after_minutes": 0}]
    # urgency "any" is both urgencies
    assert {r["urgency"] for r in methods[("email", "Jane.Miller@example.com")]} == {"high", "low"}
    assert _person(imported, "grace.tan@example.com")["time_zone"] == "Asia/Singapore"


def test_follow_the_sun_keeps_the_schedule_zone_handoffs_and_turns(imported):
    schedule = _by_name(imported.config["schedules"], "Platform follow the sun")
    assert schedule["team"] == "Platform"
    assert schedule["time_zone"] == "Europe/Lisbon"
    # GET lists the winning layer first; the file lists the lowest first.
    assert [layer["name"] for layer in schedule["layers"]] == ["Singapore", "Lisbon", "Sao Paulo"]
    singapore, lisbon, sao_paulo = schedule["layers"]
    assert {layer["time_zone"] for layer in schedule["layers"]} == {"Europe/Lisbon"}
    assert (singapore["turn_unit"], singapore["turn_count"]) == ("weeks", 1)
    assert (lisbon["turn_unit"], lisbon["turn_count"]) == ("days", 1)
    assert (sao_paulo["turn_unit"], sao_paulo["turn_count"]) == ("weeks", 2)
    assert lisbon["handoff"] == "2026-10-05T08:00:00+01:00"
    assert singapore["restrictions"] == [{"kind": "daily", "start": "00:00", "duration": "08:00"}]
    assert sao_paulo["restrictions"] == [{"kind": "daily", "start": "16:00", "duration": "08:00"}]
    assert sao_paulo["participants"] == [
        "ana.souza@example.com",
        "bruno.lima@example.com",
        "carla.dias@example.com",
    ]
    assert schedule["overrides"] == [
        {
            "person": "eva.matos@example.com",
            "start": "2027-03-10T08:00:00+00:00",
            "end": "2027-03-12T08:00:00+00:00",
        }
    ]
    assert imported.schedule_ids["Platform follow the sun"] == "PSFTS01"


def test_lisbon_handoff_stays_at_eight_local_across_the_dst_change(imported):
    config = normal.normalized(imported.config)
    schedule = _by_name(config["schedules"], "Platform follow the sun")
    on_call = rota_of(schedule)
    lisbon = {"duarte.nunes@example.com", "eva.matos@example.com", "filipe.costa@example.com"}
    # Monday after the change: 08:00 in Lisbon is 07:00 UTC (it was 08:00 UTC a week before).
    assert rota.on_call_at(on_call, datetime(2027, 3, 29, 7, 30, tzinfo=UTC)) in lisbon
    assert rota.on_call_at(on_call, datetime(2027, 3, 29, 6, 30, tzinfo=UTC)) not in lisbon
    assert rota.on_call_at(on_call, datetime(2027, 3, 22, 7, 30, tzinfo=UTC)) not in lisbon


def test_weekday_daytime_restrictions_and_the_base_layer_under_them(imported):
    schedule = _by_name(imported.config["schedules"], "Payments primary")
    assert schedule["time_zone"] == "America/New_York"
    weekly, daytime = schedule["layers"]
    assert weekly["name"] == "Weekly" and weekly["restrictions"] == []
    assert weekly["handoff"] == "2026-09-07T10:00:00-04:00"
    assert [r["weekday"] for r in daytime["restrictions"]] == ["mon", "tue", "wed", "thu", "fri"]
    assert {(r["kind"], r["start"], r["duration"]) for r in daytime["restrictions"]} == {
        ("weekly", "09:00", "08:00")
    }


def test_escalation_policies_keep_steps_waits_targets_and_loops(imported):
    policy = _by_name(imported.config["escalation_policies"], "Payments escalation")
    assert policy["team"] == "Payments"
    assert policy["repeat"] == 2
    assert policy["steps"] == [
        {"escalate_after_minutes": 10, "targets": [{"schedule": "Payments primary"}]},
        {
            "escalate_after_minutes": 15,
            "targets": [
                {"person": "laura.smith@example.com"},
                {"person": "mike.davis@example.com"},
            ],
        },
    ]
    ops = _by_name(imported.config["escalation_policies"], "Ops default")
    assert ops["team"] == "PagerDuty (no team)"


def test_teams_have_their_roles_and_everyone_their_schedules_and_policies_name(imported):
    teams = {
        t["name"]: {m["person"]: m["role"] for m in t["members"]} for t in imported.config["teams"]
    }
    assert set(teams) == {"Payments", "Platform", "PagerDuty (no team)"}
    assert teams["Payments"]["jane.miller@example.com"] == "admin"  # manager
    assert teams["Platform"]["nora.wilson@example.com"] == "viewer"  # observer
    # in a Payments layer or step, not in the PagerDuty team: added as responders
    assert teams["Payments"]["mike.davis@example.com"] == "responder"
    assert teams["Payments"]["paula.reyes@example.com"] == "responder"
    assert set(teams["PagerDuty (no team)"]) == {
        "nora.wilson@example.com",
        "omar.haddad@example.com",
        "paula.reyes@example.com",
        "quinn.baker@example.com",
    }


def test_services_get_integrations_of_the_matching_kind_and_a_note_each(imported):
    services = {s["name"]: s for s in imported.config["services"]}
    assert set(services) == {"payments-api", "checkout-web", "platform-core", "ops-batch"}
    api = services["payments-api"]
    assert api["escalation_policy"] == "Payments escalation"
    assert (api["ack_timeout_minutes"], api["auto_resolve_minutes"]) == (30, 240)
    assert api["urgency_rule"] == "high"
    assert api["integrations"] == [{"kind": "alertmanager", "name": "Prometheus"}]
    assert services["checkout-web"]["integrations"] == [
        {"kind": "grafana", "name": "Grafana"},
        {"kind": "pagerduty", "name": "Events API V2"},
    ]
    assert services["ops-batch"]["team"] == "PagerDuty (no team)"
    notes = "\n".join(imported.notes)
    assert "/integrations/alertmanager/<token>/" in notes
    assert "/integrations/grafana/<token>/" in notes
    assert "/v2/enqueue" in notes


def test_what_does_not_map_is_reported(imported):
    reported = {(item.kind, item.name) for item in imported.unmapped}
    assert reported == {
        ("contact method", "Eva Matos"),  # push notifications
        ("schedule layer", "Ops twelve hours / Ninety minutes (old)"),  # 5400 s turns
        ("integration", "payments-api / Email"),
        ("integration", "platform-core / Legacy v1"),
        ("urgency rule", "platform-core"),  # support hours
        ("service", "ops-batch"),  # disabled
    }


def test_twelve_hour_turns_in_a_zone_with_dst_keep_their_local_handoffs(imported):
    schedule = _by_name(imported.config["schedules"], "Ops twelve hours")
    assert schedule["time_zone"] == "Europe/London"
    # PagerDuty hands over at 09:00 and 21:00 London time all year: one daily layer per slot.
    day, night = schedule["layers"]
    assert (day["name"], day["turn_unit"], day["turn_count"]) == ("Twelve hours (09:00)", "days", 1)
    assert day["restrictions"] == [{"kind": "daily", "start": "09:00", "duration": "12:00"}]
    assert night["restrictions"] == [{"kind": "daily", "start": "21:00", "duration": "12:00"}]
    nora, omar, quinn = (
        "nora.wilson@example.com",
        "omar.haddad@example.com",
        "quinn.baker@example.com",
    )
    assert day["participants"] == [nora, quinn, omar]
    assert night["participants"] == [omar, nora, quinn]


def test_hour_turns_that_do_not_divide_a_day_in_a_zone_with_dst_are_reported(answers):
    changed = copy.deepcopy(answers)
    layer = _by_name(
        _by_name(changed["schedules"], "Ops twelve hours")["schedule_layers"], "Twelve hours"
    )
    layer["rotation_turn_length_seconds"] = 5 * 3600
    imported = pagerduty.convert(changed)
    schedule = _by_name(imported.config["schedules"], "Ops twelve hours")
    assert [(lay["turn_unit"], lay["turn_count"]) for lay in schedule["layers"]] == [("hours", 5)]
    (why,) = [u.why for u in imported.unmapped if u.name == "Ops twelve hours / Twelve hours"]
    assert "DST" in why


# --- the command --------------------------------------------------------------------------------


def test_import_from_a_folder_writes_a_file_config_apply_accepts(tmp_path):
    out, err = tmp_path / "plantao.yaml", io.StringIO()
    call_command("import", "pagerduty", "--from", str(FIXTURES), "-o", str(out), stderr=err)
    loaded = normal.load(out.read_text(), name="plantao.yaml")
    assert len(loaded.config["people"]) == 17
    assert len(loaded.config["schedules"]) == 3
    assert "Not imported, or only in part (6)" in err.getvalue()
    assert "# Imported from PagerDuty" in out.read_text()


def test_verify_against_the_api_finds_no_difference_over_eight_weeks(tmp_path):
    err = io.StringIO()
    with serving(fake_pagerduty.fake(most=7)) as api:
        call_command(
            "import",
            "pagerduty",
            "--url",
            api.url,
            "--token",
            fake_pagerduty.TOKEN,
            "--verify",
            "-o",
            str(tmp_path / "plantao.yaml"),
            stderr=err,
        )
    assert "3 schedules at 200 instants over 8 weeks: 600 answers compared, 0 differ" in (
        err.getvalue()
    )
    assert api.requests.count("/users") == 3  # 17 users, 7 a page: every page followed
    assert api.requests.count("/oncalls") >= 3


def test_verify_prints_each_difference_and_fails_when_a_layer_hands_off_later(tmp_path):
    err = io.StringIO()
    late = fake_pagerduty.fake(late=("PSFTS01", "PLLX002"))
    with serving(late) as api, pytest.raises(SystemExit) as exit:
        call_command(
            "import",
            "pagerduty",
            "--url",
            api.url,
            "--token",
            fake_pagerduty.TOKEN,
            "--verify",
            "-o",
            str(tmp_path / "plantao.yaml"),
            stderr=err,
        )
    assert exit.value.code == 1
    text = err.getvalue()
    assert "≠ Platform follow the sun at 2027-0" in text
    assert "the old tool says" in text
    assert "0 differ" not in text


def test_a_refused_token_says_so_without_showing_it():
    with serving(fake_pagerduty.fake()) as api, pytest.raises(CommandError) as error:
        call_command("import", "pagerduty", "--url", api.url, "--token", "wrong-secret-1234")
    assert "the token was refused" in str(error.value)
    assert "wrong-secret-1234" not in str(error.value)


def test_a_missing_saved_file_names_the_command_that_saves_it(tmp_path):
    folder = tmp_path / "saved"
    shutil.copytree(FIXTURES, folder)
    (folder / "schedule-PSPAY01.json").unlink()
    with pytest.raises(CommandError) as error:
        call_command("import", "pagerduty", "--from", str(folder))
    message = str(error.value)
    assert "schedule-PSPAY01.json is missing" in message
    assert 'curl -sS -H "Authorization: Token token=$PAGERDUTY_TOKEN"' in message
    assert "/schedules/$id" in message


def test_a_saved_error_answer_is_said_as_such(tmp_path):
    folder = tmp_path / "saved"
    shutil.copytree(FIXTURES, folder)
    refused = {"error": {"message": "Access Denied", "code": 2008}}
    (folder / "teams.json").write_text(json.dumps(refused))
    with pytest.raises(CommandError) as error:
        call_command("import", "pagerduty", "--from", str(folder))
    assert "teams: PagerDuty answered 'Access Denied' (2008) instead of data" in str(error.value)


def test_how_to_save_names_every_file_the_folder_holds():
    saved = {path.stem for path in FIXTURES.glob("*.json")}
    generic = {
        name.replace("PSFTS01", "ID").replace("PSPAY01", "ID").replace("PSOPS01", "ID")
        for name in saved
    }
    generic = {n.replace("PTPAY01", "ID").replace("PTPLAT1", "ID") for n in generic}
    generic = {n.removesuffix("-2") for n in generic}
    assert generic == set(pagerduty.HOW_TO_SAVE)
    assert json.loads((FIXTURES / "users.json").read_text())["more"] is True
