"""A configuration file read: every mistake named with its line, defaults filled, YAML's
surprises avoided, and the compact form people write read back to the same normal form."""

import json
from pathlib import Path

import pytest

from incidents.configuration import files, normal, schema

EXAMPLE = """\
version: 1
teams:
  - name: SRE
    manager: ana@example.com
    members:
      - {person: ana@example.com, role: admin}
      - person: bo@example.com
people:
  - email: ana@example.com
    name: Ana Souza
    time_zone: America/Sao_Paulo
    holiday_country: NO
    contact_methods:
      - kind: sms
        address: "+5511987654321"
        rules: [{urgency: high}, {urgency: low, after_minutes: 5}]
  - email: bo@example.com
    name: Bo
schedules:
  - name: Follow the sun
    team: SRE
    layers:
      - name: Americas
        turn_unit: days
        handoff: 2026-01-05T09:00:00-03:00
        time_zone: America/Sao_Paulo
        participants: [ana@example.com, bo@example.com]
        restrictions:
          - {kind: daily, start: 9:00, duration: 8:00}
escalation_policies:
  - name: SRE default
    team: SRE
    steps:
      - targets: [{schedule: Follow the sun}]
      - escalate_after_minutes: 10
        targets: [{team_all: SRE}]
services:
  - name: cdn
    team: SRE
    escalation_policy: SRE default
    integrations: [{kind: alertmanager, name: prod}]
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(normal.ConfigInvalid) as raised:
        normal.load(text, "plantao.yaml")
    return [str(problem) for problem in raised.value.problems]


def test_defaults_are_filled_in_and_yaml_1_1_surprises_do_not_happen():
    config = normal.load(EXAMPLE).config
    ana, bo = config["people"]
    assert ana["holiday_country"] == "NO"  # Norway, not False
    assert bo["time_zone"] == "UTC" and bo["username"] == "bo@example.com"
    assert config["teams"][0]["slug"] == "sre"
    assert config["teams"][0]["members"][1]["role"] == "responder"
    layer = config["schedules"][0]["layers"][0]
    assert layer["restrictions"] == [
        {"kind": "daily", "weekday": "mon", "start": "09:00", "duration": "08:00"}
    ]  # 9:00 is a time, not the sexagesimal 540
    assert layer["handoff"].utcoffset().total_seconds() == -3 * 3600
    assert layer["turn_count"] == 1 and layer["active_from"] is None
    assert config["escalation_policies"][0]["steps"][0]["escalate_after_minutes"] == 5
    assert config["services"][0]["integrations"][0]["rate_limit_per_second"] == 5000


def test_every_mistake_is_named_with_its_line():
    bad = (
        EXAMPLE.replace(
            "time_zone: America/Sao_Paulo\n    holiday", "time_zone: Mars/Base\n    holiday"
        )
        .replace("{schedule: Follow the sun}", "{schedule: Nope}")
        .replace("bo@example.com]", "bob@example.com]")
        .replace("duration: 8:00", "duration: 25:00")
        .replace('"+5511987654321"', '"12"')
    )
    assert problems_of(bad) == [
        "line 11: people[0].time_zone: 'Mars/Base' is not a time zone (e.g. Europe/Lisbon)",
        "line 15: people[0].contact_methods[0].address: "
        "12 is not a phone number in E.164 form, such as +351912345678.",
        "line 27: schedules[0].layers[0].participants[1]: "
        "no person with e-mail 'bob@example.com' in the file",
        "line 29: schedules[0].layers[0].restrictions[0].duration: "
        "'25:00' is not a time up to 24:00",
        "line 34: escalation_policies[0].steps[0].targets[0].schedule: "
        "no schedule 'Nope' in the file",
    ]


def test_shape_mistakes_name_the_key_and_its_line():
    bad = EXAMPLE.replace("turn_unit: days", "turn_unit: fortnight\n        tiemzone: UTC")
    assert problems_of(bad) == [
        "line 23: schedules[0].layers[0]: unknown key 'tiemzone'",
        "line 24: schedules[0].layers[0].turn_unit: "
        "'fortnight' is not one of ['hours', 'days', 'weeks']",
    ]
    naive = EXAMPLE.replace("2026-01-05T09:00:00-03:00", "2026-01-05T09:00:00")
    assert problems_of(naive) == [
        "line 25: schedules[0].layers[0].handoff: '2026-01-05T09:00:00' is not an instant with "
        "its offset, e.g. 2026-03-29T09:00:00+01:00"
    ]


def test_names_given_twice_and_keys_given_twice_are_refused():
    twice = EXAMPLE.replace("  - email: bo@example.com\n", "  - email: ana@example.com\n")
    assert "people[1]: e-mail 'ana@example.com' is given twice" in " ".join(problems_of(twice))
    assert problems_of("version: 1\nversion: 1\n") == ["line 2: 'version' is given twice"]
    assert problems_of("version: [1\n")[0].startswith("line 2: not valid YAML")
    assert problems_of("- 1\n") == ["line 1: the file must be a mapping, with version: 1"]


def test_a_target_names_exactly_one_thing():
    bad = EXAMPLE.replace("{team_all: SRE}", "{team_all: SRE, person: bo@example.com}")
    assert problems_of(bad) == [
        "line 36: escalation_policies[0].steps[1].targets[0]: a target names exactly one of "
        "person, schedule, team_all, team_round_robin"
    ]


def test_two_files_saying_the_same_in_another_order_have_the_same_normal_form():
    config = normal.load(EXAMPLE).config
    shuffled = EXAMPLE.replace(
        "      - {person: ana@example.com, role: admin}\n      - person: bo@example.com\n",
        "      - person: bo@example.com\n      - {person: ana@example.com, role: admin}\n",
    ).replace(
        "[{urgency: high}, {urgency: low, after_minutes: 5}]",
        "[{urgency: low, after_minutes: 5}, {urgency: high}]",
    )
    assert normal.load(shuffled).config == config


def test_the_compact_file_reads_back_to_the_same_normal_form():
    config = normal.load(EXAMPLE).config
    text = files.dump(normal.compact(config))
    assert "slug:" not in text and "username:" not in text and "weekday:" not in text
    assert normal.load(text).config == config
    assert normal.load(files.dump(config)).config == config


def test_the_published_schema_is_the_one_the_files_are_checked_against():
    published = Path(__file__).parents[3] / "static" / "config" / "plantao-config.schema.json"
    assert json.loads(published.read_text()) == json.loads(json.dumps(schema.SCHEMA))


def test_characters_yaml_refuses_are_named_with_their_line():
    assert problems_of("version: 1\nteams: \x8e\n") == [
        "line 2: not valid YAML: character '\\x8e' is not allowed"
    ]


def test_the_same_override_or_window_twice_is_a_mistake():
    override = (
        "      - {person: bo@example.com, start: 2027-01-01T00:00:00Z, end: 2027-01-02T00:00Z}\n"
    )
    twice = EXAMPLE.replace(
        "escalation_policies:", "    overrides:\n" + override + override + "escalation_policies:"
    )
    assert problems_of(twice) == [
        "line 32: schedules[0].overrides[1]: "
        "the same override (person, start and end) is given twice"
    ]
    window = "      - {start: 2027-01-01T00:00:00Z, end: 2027-01-01T02:00:00Z}\n"
    windows = EXAMPLE + "    maintenance_windows:\n" + window + window
    assert problems_of(windows) == [
        "line 44: services[0].maintenance_windows[1]: "
        "the same maintenance window (start and end) is given twice"
    ]


def test_the_schema_is_served_for_editors(client):
    answer = client.get("/static/config/plantao-config.schema.json")
    assert answer.status_code == 200
    served = json.loads(b"".join(answer.streaming_content) if answer.streaming else answer.content)
    assert served["$id"] == schema.SCHEMA_ID
