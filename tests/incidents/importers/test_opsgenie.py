"""The Opsgenie importer: its fixtures (documented API answers) converted, the command, --verify
against a local fake of Opsgenie's API, and its errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from incidents.configuration import normal
from incidents.configuration.rotas import rota_of
from incidents.importers import opsgenie
from incidents.importers.sources import Api, Folder, ImportFailed
from oncall import clock, rota
from tests.incidents.importers.fake_opsgenie import FIXTURES, FakeOpsgenie
from tests.incidents.importers.fakeapi import serving

START = datetime(2027, 3, 1, tzinfo=UTC)  # US (14 Mar), Europe (28 Mar), Sydney (4 Apr) in 8 weeks
KEY = "genie-key-for-tests"


@pytest.fixture(scope="module")
def imported():
    return opsgenie.convert(opsgenie.fetch(Folder(FIXTURES, opsgenie.HOW_TO_SAVE)))


@pytest.fixture(scope="module")
def config(imported):
    return normal.normalized(imported.config)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: START)


def _named(items, name):
    return next(item for item in items if item["name"] == name)


def _unmapped(imported) -> list[str]:
    return [str(item) for item in imported.unmapped]


# --- convert() of the fixtures ---------------------------------------------------------------


def test_people_keep_their_zone_and_reachable_contact_methods(config):
    assert len(config["people"]) == 15
    ana = next(p for p in config["people"] if p["email"] == "ana.sousa@example.com")
    assert ana["name"] == "Ana Sousa"
    assert ana["time_zone"] == "Europe/Lisbon"
    assert [(m["kind"], m["address"]) for m in ana["contact_methods"]] == [
        ("email", "ana.sousa@example.com"),
        ("sms", "+351912345678"),
        ("voice", "+351912345678"),
    ]
    wei = next(p for p in config["people"] if p["email"] == "wei.tan@example.com")
    assert wei["time_zone"] == "Asia/Singapore"
    joao = next(p for p in config["people"] if p["email"] == "joao.pereira@example.com")
    # His text messages are disabled in Opsgenie: kept, but no rule pages them.
    assert [(m["kind"], m["rules"]) for m in joao["contact_methods"]] == [
        (
            "email",
            [{"urgency": "high", "after_minutes": 0}, {"urgency": "low", "after_minutes": 0}],
        ),
        ("sms", []),
    ]


def test_new_alert_notification_rules_become_the_methods_rules(config):
    ana = next(p for p in config["people"] if p["email"] == "ana.sousa@example.com")
    rules = {
        m["kind"]: [(r["urgency"], r["after_minutes"]) for r in m["rules"]]
        for m in ana["contact_methods"]
    }
    assert rules == {
        "email": [("high", 0), ("low", 0)],
        "sms": [("high", 1), ("low", 1)],
        "voice": [("high", 5), ("low", 5)],
    }
    emily = next(p for p in config["people"] if p["email"] == "emily.carter@example.com")
    (sms,) = [m for m in emily["contact_methods"] if m["kind"] == "sms"]
    # "Night P1" pages P1 alerts only: imported for high urgency (and reported).
    assert [(r["urgency"], r["after_minutes"]) for r in sms["rules"]] == [
        ("high", 1),
        ("high", 10),
        ("low", 1),
    ]


def test_teams_keep_members_and_roles_and_gain_those_their_policies_name(config):
    payments = _named(config["teams"], "Payments")
    roles = {m["person"]: m["role"] for m in payments["members"]}
    assert roles["olivia.davis@example.com"] == "admin"
    assert roles["emily.carter@example.com"] == "responder"
    assert roles["david.kim@example.com"] == "responder"  # a custom role, reported
    # Named by a Payments escalation rule, so made a responder of Payments.
    assert roles["marta.ferreira@example.com"] == "responder"
    loose = _named(config["teams"], opsgenie.convert.__globals__["NO_TEAM"])
    assert {m["person"] for m in loose["members"]} == {
        "liam.wilson@example.com",
        "chloe.nguyen@example.com",
    }


def test_follow_the_sun_rotations_become_layers_of_one_schedule(config):
    schedule = _named(config["schedules"], "Platform follow-the-sun")
    assert schedule["team"] == "Platform"
    assert schedule["time_zone"] == "Europe/Lisbon"
    apac, emea, americas = schedule["layers"]
    assert (apac["name"], apac["turn_unit"], apac["turn_count"]) == ("APAC", "weeks", 1)
    assert apac["handoff"] == datetime(2027, 1, 4, tzinfo=UTC)
    assert apac["time_zone"] == "Europe/Lisbon"
    assert [(r["kind"], r["start"], r["duration"]) for r in apac["restrictions"]] == [
        ("daily", "00:00", "08:00")
    ]
    assert emea["participants"] == [
        "ana.sousa@example.com",
        "joao.pereira@example.com",
        "ines.costa@example.com",
    ]
    assert (emea["turn_unit"], emea["turn_count"]) == ("days", 1)
    # A handoff at half past, and a window up to midnight.
    assert americas["handoff"] == datetime(2027, 1, 6, 16, 30, tzinfo=UTC)
    assert (americas["turn_unit"], americas["turn_count"]) == ("days", 2)
    assert [(r["start"], r["duration"]) for r in americas["restrictions"]] == [("16:00", "08:00")]
    assert [(o["person"], o["start"]) for o in schedule["overrides"]] == [
        ("ana.sousa@example.com", datetime(2027, 3, 8, 16, tzinfo=UTC)),
        ("marta.ferreira@example.com", datetime(2027, 3, 27, 16, tzinfo=UTC)),
    ]


def test_weekday_restrictions_become_weekly_windows_in_the_schedules_zone(config):
    schedule = _named(config["schedules"], "Payments primary")
    days, nights = schedule["layers"]
    assert days["time_zone"] == "America/New_York"
    assert [(r["kind"], r["weekday"], r["start"], r["duration"]) for r in days["restrictions"]] == [
        ("weekly", day, "09:00", "08:00") for day in ("mon", "tue", "wed", "thu", "fri")
    ]
    assert ("weekly", "fri", "17:00", "64:00") in [
        (r["kind"], r["weekday"], r["start"], r["duration"]) for r in nights["restrictions"]
    ]


def test_hourly_turns_and_a_schedule_with_no_team(config):
    schedule = _named(config["schedules"], "Sydney batch")
    (layer,) = schedule["layers"]
    assert (layer["turn_unit"], layer["turn_count"]) == ("hours", 12)
    assert schedule["time_zone"] == "Australia/Sydney"
    assert schedule["team"] == "Opsgenie (no team)"


def test_overlapping_rotations_become_schedules_of_their_own(imported, config):
    backup = _named(config["schedules"], "Platform secondary")
    shadow = _named(config["schedules"], "Platform secondary / Shadow")
    assert [layer["name"] for layer in backup["layers"]] == ["Backup"]
    assert [layer["name"] for layer in shadow["layers"]] == ["Shadow"]
    assert shadow["layers"][0]["active_until"] == datetime(2027, 6, 28, 9, tzinfo=UTC)
    # The override names the Backup rotation only: it lands in Backup's schedule.
    assert [o["person"] for o in backup["overrides"]] == ["ines.costa@example.com"]
    assert shadow["overrides"] == []
    # Both parts are verified together against the one Opsgenie schedule.
    assert (
        imported.schedule_ids["Platform secondary"]
        == imported.schedule_ids["Platform secondary / Shadow"]
    )
    assert "Payments on loan" not in imported.schedule_ids  # imported in part: not verified


def test_escalation_rules_become_steps_with_waits_and_repeats(config):
    policy = _named(config["escalation_policies"], "Platform critical")
    assert policy["team"] == "Platform"
    assert policy["repeat"] == 2
    assert [(s["escalate_after_minutes"], s["targets"]) for s in policy["steps"]] == [
        (10, [{"schedule": "Platform follow-the-sun"}]),
        (
            15,
            [{"schedule": "Platform secondary"}, {"schedule": "Platform secondary / Shadow"}],
        ),
        (15, [{"person": "marta.ferreira@example.com"}]),  # the repeat's wait
    ]
    payments = _named(config["escalation_policies"], "Payments default")
    assert [(s["escalate_after_minutes"], s["targets"]) for s in payments["steps"]] == [
        (5, [{"schedule": "Payments primary"}]),
        (15, [{"team_all": "Payments"}, {"person": "olivia.davis@example.com"}]),
        (5, [{"person": "marta.ferreira@example.com"}]),
    ]


def test_integrations_go_to_a_service_per_team_with_a_note_on_where_the_url_goes(imported, config):
    services = {s["name"]: s for s in config["services"]}
    assert [(i["kind"], i["name"]) for i in services["platform"]["integrations"]] == [
        ("alertmanager", "Prometheus production")
    ]
    assert services["platform"]["escalation_policy"] == "Platform critical"
    assert {(i["kind"], i["name"]) for i in services["payments"]["integrations"]} == {
        ("grafana", "Grafana payments"),
        ("webhook", "Payments API"),
    }
    assert services["opsgenie-no-team"]["team"] == "Opsgenie (no team)"
    assert any(
        "Prometheus production" in note and "/integrations/alertmanager/<token>/" in note
        for note in imported.notes
    )


def test_what_does_not_map_is_reported(imported):
    report = "\n".join(_unmapped(imported))
    for expected in (
        'contact method "arjun.rao@example.com: mobile Arjun\'s phone"',
        "rotation 'Payments on loan / Alternate weeks': has a team (Payments)",
        "schedule 'Platform secondary': its rotations are on call at the same time",
        "escalation rule 'Payments default': condition 'if-not-closed'",
        "escalation rule 'Sydney batch: escalation Platform critical'",
        "integration 'Datadog (Datadog)'",
        "integration 'Webhook (Webhook)'",
        "integration 'Grafana staging (Grafana)': disabled",
        "custom role 'Incident Commander'",
        "notification rule 'emily.carter@example.com: Night P1': applies to some alerts only",
        "notification rule 'emily.carter@example.com: Night P1': its time restriction",
    ):
        assert expected in report


def test_the_imported_follow_the_sun_hands_over_on_lisbon_time_across_dst(config):
    ours = rota_of(_named(config["schedules"], "Platform follow-the-sun"))
    # Before 28 March Lisbon is UTC+0; after it UTC+1, so 08:00 local is 07:00 UTC.
    assert rota.on_call_at(ours, datetime(2027, 3, 22, 7, 30, tzinfo=UTC)) in {
        "wei.tan@example.com",
        "arjun.rao@example.com",
    }
    assert rota.on_call_at(ours, datetime(2027, 3, 29, 7, 30, tzinfo=UTC)) in {
        "ana.sousa@example.com",
        "joao.pereira@example.com",
        "ines.costa@example.com",
    }


# --- the command ------------------------------------------------------------------------------


def test_import_from_a_folder_writes_a_file_config_apply_accepts(tmp_path, frozen, capsys):
    output = tmp_path / "plantao.yaml"
    call_command("import", "opsgenie", "--from", str(FIXTURES), "-o", str(output))
    loaded = normal.load(output.read_text(encoding="utf-8"))
    assert {s["name"] for s in loaded.config["schedules"]} >= {"Platform follow-the-sun"}
    err = capsys.readouterr().err
    assert "Imported from Opsgenie: 3 teams, 15 people, 6 schedules" in err
    assert "integration 'Datadog (Datadog)'" in err


def test_verify_against_the_fake_finds_no_difference(tmp_path, frozen, capsys):
    with serving(FakeOpsgenie(KEY)) as api:
        call_command(
            "import", "opsgenie", "--url", api.url, "--token", KEY, "--verify",
            "-o", str(tmp_path / "plantao.yaml"),
        )  # fmt: skip
    err = capsys.readouterr().err
    assert (
        "Verified 5 schedules at 200 instants over 8 weeks: 800 answers compared, 0 differ." in err
    )
    # Every page of users was read, and who-is-on-call asked at each instant.
    assert api.requests.count("/v2/users") == 2
    assert len([p for p in api.requests if p.endswith("/on-calls")]) == 800


def test_verify_prints_each_difference_and_fails(tmp_path, frozen, capsys):
    late = FakeOpsgenie(KEY, late={"EMEA": timedelta(hours=1), "Shadow": timedelta(days=1)})
    with serving(late) as api, pytest.raises(SystemExit) as exit:
        call_command(
            "import", "opsgenie", "--url", api.url, "--token", KEY, "--verify",
            "-o", str(tmp_path / "plantao.yaml"),
        )  # fmt: skip
    assert exit.value.code == 1
    err = capsys.readouterr().err
    assert "≠ Platform follow-the-sun at " in err
    assert "≠ Platform secondary + Platform secondary / Shadow at " in err
    assert "the old tool says" in err
    assert ", 0 differ." not in err


def test_a_wrong_key_is_a_clear_error_without_the_key(frozen):
    with serving(FakeOpsgenie(KEY)) as api, pytest.raises(CommandError) as error:
        call_command("import", "opsgenie", "--url", api.url, "--token", "wrong-secret-key")
    assert "the token was refused" in str(error.value)
    assert "wrong-secret-key" not in str(error.value)


def test_a_missing_saved_file_names_the_command_that_saves_it(tmp_path):
    for path in FIXTURES.glob("*.json"):
        if not path.name.startswith("team-"):
            (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("import", "opsgenie", "--from", str(tmp_path))
    message = str(error.value)
    assert "team-" in message and "is missing" in message
    assert "/v2/teams/" in message and "GenieKey $OPSGENIE_KEY" in message
    for path in FIXTURES.glob("team-*.json"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "escalations.json").unlink()
    with pytest.raises(ImportFailed) as missing:
        opsgenie.fetch(Folder(tmp_path, opsgenie.HOW_TO_SAVE))
    assert "escalations.json is missing" in str(missing.value)
    assert "'https://api.opsgenie.com/v2/escalations' > escalations.json" in str(missing.value)


def test_auth_is_opsgenies_genie_key_header():
    assert opsgenie.auth("abc") == {"Authorization": "GenieKey abc"}
    assert Api("https://api.opsgenie.com", "abc", opsgenie.auth)


# --- convert() of small, made-up answers ----------------------------------------------------


def _answers(rotations, overrides=(), rules=()) -> dict:
    user = {"id": "u1", "username": "Pat@Example.com", "fullName": "Pat", "timeZone": "UTC"}
    other = {"id": "u2", "username": "sam@example.com", "fullName": "Sam", "timeZone": "UTC"}
    return {
        "users": [user, other],
        "contacts": {},
        "notification_rules": {},
        "teams": [{"id": "t1", "name": "Ops", "members": []}],
        "schedules": [
            {
                "id": "s1",
                "name": "Ops",
                "timezone": "Europe/Berlin",
                "ownerTeam": {"id": "t1", "name": "Ops"},
                "rotations": list(rotations),
            }
        ],
        "overrides": {"s1": list(overrides)},
        "escalations": [
            {"id": "e1", "name": "Ops", "ownerTeam": {"id": "t1"}, "rules": list(rules)}
        ]
        if rules
        else [],
        "integrations": [],
    }


def _rotation(name, restriction=None, participants=("u1",), **extra):
    return {
        "id": name,
        "name": name,
        "startDate": "2027-01-04T08:00:00Z",
        "type": "daily",
        "length": 1,
        "participants": [{"type": "user", "id": p} for p in participants],
        "timeRestriction": restriction,
        **extra,
    }


def test_windows_through_midnight_and_the_weeks_end_and_a_whole_day():
    night = {
        "type": "time-of-day",
        "restriction": {"startHour": 22, "startMin": 30, "endHour": 6, "endMin": 0},
    }
    weekend = {
        "type": "weekday-and-time-of-day",
        "restrictions": [
            {
                "startDay": "friday",
                "startHour": 18,
                "startMin": 0,
                "endDay": "monday",
                "endHour": 8,
                "endMin": 0,
            }
        ],
    }
    whole = {
        "type": "time-of-day",
        "restriction": {"startHour": 9, "startMin": 0, "endHour": 9, "endMin": 0},
    }
    imported = opsgenie.convert(
        _answers([_rotation("night", night), _rotation("weekend", weekend)])
    )
    config = normal.normalized(imported.config)
    night_layer, weekend_layer = config["schedules"][0]["layers"] + config["schedules"][1]["layers"]
    assert [(r["start"], r["duration"]) for r in night_layer["restrictions"]] == [
        ("22:30", "07:30")
    ]
    assert [(r["weekday"], r["start"], r["duration"]) for r in weekend_layer["restrictions"]] == [
        ("fri", "18:00", "62:00")
    ]
    (layer,) = normal.normalized(opsgenie.convert(_answers([_rotation("d", whole)])).config)[
        "schedules"
    ][0]["layers"]
    assert [(r["start"], r["duration"]) for r in layer["restrictions"]] == [("09:00", "24:00")]


def test_a_none_turn_leaves_the_rotation_out_and_the_schedule_unverified():
    rotation = _rotation("gappy")
    rotation["participants"].append({"type": "none"})
    imported = opsgenie.convert(_answers([rotation]))
    assert imported.config["schedules"][0]["layers"] == []
    assert imported.schedule_ids == {}
    assert "an empty ('none') turn" in "\n".join(_unmapped(imported))


def test_an_override_of_a_schedule_with_idle_hours_is_reported():
    day = {
        "type": "time-of-day",
        "restriction": {"startHour": 9, "startMin": 0, "endHour": 17, "endMin": 0},
    }
    override = {
        "user": {"type": "user", "id": "u2", "username": "sam@example.com"},
        "startDate": "2027-03-01T00:00:00Z",
        "endDate": "2027-03-02T00:00:00Z",
        "rotations": [],
    }
    imported = opsgenie.convert(_answers([_rotation("day", day)], overrides=[override]))
    (schedule,) = imported.config["schedules"]
    assert [o["person"] for o in schedule["overrides"]] == ["sam@example.com"]
    assert "leave hours with nobody on call" in "\n".join(_unmapped(imported))
    # Sam is named by the schedule, so Sam is one of the team.
    members = {m["person"] for m in imported.config["teams"][0]["members"]}
    assert members == {"pat@example.com", "sam@example.com"}


def test_a_first_rule_that_waits_is_reported_and_the_steps_keep_their_gaps():
    def rule(minutes, user):
        return {
            "condition": "if-not-acked",
            "notifyType": "default",
            "delay": {"timeAmount": minutes, "timeUnit": "minutes"},
            "recipient": {"type": "user", "id": user},
        }

    imported = opsgenie.convert(_answers([_rotation("r")], rules=[rule(3, "u1"), rule(1, "u2")]))
    (policy,) = normal.normalized(imported.config)["escalation_policies"]
    assert [(s["escalate_after_minutes"], s["targets"]) for s in policy["steps"]] == [
        (2, [{"person": "sam@example.com"}]),
        (5, [{"person": "pat@example.com"}]),
    ]
    assert "its first rule waits 1 min;" in "\n".join(_unmapped(imported))


def test_someone_missing_from_the_users_list_is_added_by_e_mail_and_reported():
    override = {
        "user": {"type": "user", "id": "u9", "username": "Temp@Example.com"},
        "startDate": "2027-03-01T00:00:00Z",
        "endDate": "2027-03-02T00:00:00Z",
    }
    answers = _answers([_rotation("all day")], overrides=[override])
    answers["schedules"][0]["ownerTeam"] = {"name": "Ops"}  # named, without its id
    imported = opsgenie.convert(answers)
    config = normal.normalized(imported.config)  # the file holds together
    assert "temp@example.com" in {p["email"] for p in config["people"]}
    assert config["schedules"][0]["team"] == "Ops"
    assert "user 'temp@example.com': not in Opsgenie's list of users" in _unmapped(imported)[0]
