"""What people type and press in Slack, read as CONTRACT.md says (pure)."""

import json

import pytest

from incidents.slack import commands
from incidents.slack.commands import Command, InvalidPayload, Press
from oncall.channels import slack_blocks as slack


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("/oncall", "", Command("oncall")),
        ("/oncall", "  Primary ", Command("oncall", text="Primary")),
        ("/oncall", "Platform   SRE", Command("oncall", text="Platform SRE")),
        ("/incident", "list", Command("list")),
        ("/incident", "LIST", Command("list")),
        ("/incident", "ack 42", Command("acknowledge", number=42)),
        ("/incident", "ack #42", Command("acknowledge", number=42)),
        ("/incident", "acknowledge 7", Command("acknowledge", number=7)),
        ("/incident", "Resolve 7", Command("resolve", number=7)),
        ("/incident", "declare Checkout is down", Command("declare", text="Checkout is down")),
        (
            "/incident",
            "declare Checkout is down --service auth",
            Command("declare", text="Checkout is down", service="auth"),
        ),
        (
            "/incident",
            "declare --service=cdn Video stalls in <EU>",
            Command("declare", text="Video stalls in <EU>", service="cdn"),
        ),
        ("/incident", "", Command("help")),
        ("/incident", "help", Command("help")),
        ("/incident", "ack", Command("help")),
        ("/incident", "ack forty-two", Command("help")),
        ("/incident", "ack 42 43", Command("help")),
        ("/incident", "ack ４２", Command("help")),  # full-width digits are no number
        ("/incident", "list everything", Command("help")),
        ("/incident", "declare", Command("help")),
        ("/incident", "declare --service auth", Command("help")),
        ("/incident", "declare Down --service", Command("help")),
        ("/incident", "page everyone", Command("help")),
        ("/pizza", "ack 42", Command("help")),
    ],
)
def test_slash_commands_are_read_as_the_contract_says(name, text, expected):
    assert commands.command(name, text) == expected


def payload(action_id=slack.ACKNOWLEDGE, value="42", **fields) -> str:
    body = {
        "type": "block_actions",
        "user": {"id": "U0ANA", "username": "ana"},
        "response_url": "https://hooks.slack.com/actions/T0/1/abc",
        "actions": [{"action_id": action_id, "value": value, "type": "button"}],
    }
    return json.dumps(body | fields)


@pytest.mark.parametrize(
    ("action_id", "action"),
    [(slack.ACKNOWLEDGE, "acknowledge"), (slack.RESOLVE, "resolve"), (slack.ESCALATE, "escalate")],
)
def test_a_button_press_names_the_action_the_incident_and_who_pressed(action_id, action):
    assert commands.press(payload(action_id)) == Press(
        action, 42, "U0ANA", "https://hooks.slack.com/actions/T0/1/abc"
    )


@pytest.mark.parametrize(
    "text",
    [
        payload(type="view_submission"),
        payload(action_id="someone_elses_button"),
        payload(value="forty-two"),
        payload(value="²"),
        payload(actions=[]),
        payload(actions="nope"),
    ],
)
def test_what_is_not_a_press_of_our_buttons_is_ignored(text):
    assert commands.press(text) is None


@pytest.mark.parametrize("text", ["", "{not json", "[1, 2]", payload(user={}), payload(user="U0")])
def test_a_malformed_payload_is_refused(text):
    with pytest.raises(InvalidPayload):
        commands.press(text)
