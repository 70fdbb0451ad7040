"""What people type and press in Slack, read into commands (pure).

CONTRACT.md: `/oncall [schedule or team]`; `/incident declare <title>`, `/incident ack <n>`,
`/incident resolve <n>`, `/incident list`; Acknowledge / Resolve / Escalate buttons on pages.
A declaration may name its service: `/incident declare <title> --service <name>`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from incidents.ingest.body import unstorable
from incidents.models.choices import Action
from oncall.channels import slack_blocks as slack

ONCALL, LIST, DECLARE, HELP = "oncall", "list", "declare", "help"
ACKNOWLEDGE, RESOLVE, ESCALATE = Action.ACKNOWLEDGE, Action.RESOLVE, Action.ESCALATE
BUTTONS = {slack.ACKNOWLEDGE: ACKNOWLEDGE, slack.RESOLVE: RESOLVE, slack.ESCALATE: ESCALATE}
VERBS = {"ack": ACKNOWLEDGE, "acknowledge": ACKNOWLEDGE, "resolve": RESOLVE}
NUMBER = re.compile(r"#?([0-9]{1,18})")
VALUE = re.compile(r"[0-9]{1,18}")
SERVICE_OPTION = re.compile(r"(?:^|\s)--service(?:=|\s+)(\S+)(?=\s|$)")


class InvalidPayload(Exception):
    """An interaction payload that is not what Slack sends."""


@dataclass(frozen=True)
class Command:
    action: str  # ONCALL | LIST | DECLARE | ACKNOWLEDGE | RESOLVE | HELP
    number: int | None = None  # the incident acted on
    text: str = ""  # the schedule or team asked about; the title declared
    service: str = ""  # the service named by --service


@dataclass(frozen=True)
class Press:
    """A button pressed on a page or a channel post."""

    action: str  # ACKNOWLEDGE | RESOLVE | ESCALATE
    number: int
    user_id: str
    response_url: str


def command(name: str, text: str) -> Command:
    """Read the slash command `name` with its `text`; anything not understood is HELP."""
    words = " ".join((text or "").split())
    if name == "/oncall":
        return Command(ONCALL, text=words)
    if name != "/incident" or not words:
        return Command(HELP)
    verb, _, rest = words.partition(" ")
    verb = verb.lower()
    if verb in VERBS:
        found = NUMBER.fullmatch(rest)
        return Command(VERBS[verb], number=int(found.group(1))) if found else Command(HELP)
    if verb == "list":
        return Command(LIST) if not rest else Command(HELP)
    if verb == "declare":
        return _declaration(rest)
    return Command(HELP)


def _declaration(rest: str) -> Command:
    service = ""
    option = SERVICE_OPTION.search(rest)
    if option is not None:
        service = option.group(1)
        rest = (rest[: option.start()] + rest[option.end() :]).strip()
    if not rest or "--service" in rest.split():
        return Command(HELP)
    return Command(DECLARE, text=rest, service=service)


def press(payload: str) -> Press | None:
    """Read an interaction payload (the `payload` form field): the button pressed, or None when
    it is no press of ours (another kind of interaction, another app's button). Raise
    InvalidPayload, naming the field, when it is malformed."""
    try:
        data = json.loads(payload)
    except ValueError as error:
        raise InvalidPayload("The payload field is not JSON.") from error
    if not isinstance(data, dict):
        raise InvalidPayload("The payload is not a JSON object.")
    problem = unstorable(data)
    if problem:
        raise InvalidPayload(f"The payload {problem}.")
    if data.get("type") != "block_actions":
        return None
    user = data.get("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    if not isinstance(user_id, str) or not user_id:
        raise InvalidPayload("The payload names no user.")
    actions = data.get("actions")
    for index, action in enumerate(actions if isinstance(actions, list) else []):
        if not isinstance(action, dict):
            continue
        if not isinstance(action.get("action_id"), str):
            # Slack always sends one; a list or an object here is no press of anyone's.
            raise InvalidPayload(f"actions[{index}].action_id must be a string.")
        if action["action_id"] not in BUTTONS:
            continue
        value = action.get("value")
        if isinstance(value, str) and VALUE.fullmatch(value):
            url = data.get("response_url")
            return Press(
                BUTTONS[action["action_id"]],
                int(value),
                user_id,
                url if isinstance(url, str) else "",
            )
    return None
