"""What a paged person can answer by SMS, and what Plantão answers back (pure).

CONTRACT.md: `4` or `ACK` acknowledges the newest open page to that number, `6` or `RESOLVE`
resolves it; `ACK 42` / `RESOLVE 42` name the incident. When the newest text bundled several
incidents ("3 open incidents, reply 4 to acknowledge all"), the reply acts on all of them.
Every answer fits one GSM-7 segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from incidents.models.choices import Action
from incidents.render import SMS_LIMIT, gsm7

ACKNOWLEDGE, RESOLVE = Action.ACKNOWLEDGE, Action.RESOLVE
_WORDS = {"4": ACKNOWLEDGE, "ACK": ACKNOWLEDGE, "6": RESOLVE, "RESOLVE": RESOLVE}
_REPLY = re.compile(r"^\s*(\w+)(?:\s+#?(\d{1,18}))?\s*[.!]?\s*$")

HELP = "Plantao: reply 4 or ACK to acknowledge, 6 or RESOLVE to resolve; add the incident number "
HELP += "to name one, e.g. ACK 42. Nothing was changed."
UNKNOWN_SENDER = (
    "Plantao: this number is not a verified contact of anyone on Plantao, so nothing was "
    "changed. Add and verify it in your profile."
)
NOTHING_OPEN = "Plantao: no open incident was paged to this number. Nothing was changed."


@dataclass(frozen=True)
class Command:
    action: str  # ACKNOWLEDGE | RESOLVE
    number: int | None  # the incident named, or None: the newest paged to this number


def parse(text: str) -> Command | None:
    """Return the command in an SMS reply, or None when it is not one."""
    match = _REPLY.match(text or "")
    if match is None:
        return None
    action = _WORDS.get(match.group(1).upper())
    if action is None:
        return None
    return Command(action, int(match.group(2)) if match.group(2) else None)


def _fit(text: str) -> str:
    text = gsm7(text)
    return text if len(text) <= SMS_LIMIT else text[: SMS_LIMIT - 3] + "..."


def done(action: str, number: int, title: str) -> str:
    verb = "Acknowledged" if action == ACKNOWLEDGE else "Resolved"
    return _fit(f"Plantao: {verb} #{number} {' '.join(title.split())}")


def already(number: int, status: str) -> str:
    return _fit(f"Plantao: #{number} was already {status}. Nothing was changed.")


def not_yours(number: int) -> str:
    return _fit(
        f"Plantao: #{number} is not open, or you are not a responder for it. Nothing was changed."
    )


def done_many(action: str, numbers: list[int]) -> str:
    verb = "Acknowledged" if action == ACKNOWLEDGE else "Resolved"
    return _fit(f"Plantao: {verb} " + " ".join(f"#{n}" for n in numbers))


def already_all(numbers: list[int]) -> str:
    listed = " ".join(f"#{n}" for n in numbers)
    return _fit(f"Plantao: {listed} were already handled. Nothing was changed.")


def verified(name: str) -> str:
    return _fit(f"Plantao: this number is now verified for {name}; pages can reach it.")
