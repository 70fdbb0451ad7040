"""Slack's Block Kit for pages (pure, without the SDK): the text, and the Acknowledge / Resolve /
Escalate buttons whose presses come back to /slack/interactions/."""

from __future__ import annotations

import re

from oncall.channels.base import Message

# The answers a page offers, as buttons: action id -> (label, style).
ACKNOWLEDGE, RESOLVE, ESCALATE = "plantao_acknowledge", "plantao_resolve", "plantao_escalate"
BUTTONS = {
    ACKNOWLEDGE: ("Acknowledge", "primary"),
    RESOLVE: ("Resolve", None),
    ESCALATE: ("Escalate", "danger"),
}
# A page names what it is about as #N in its subject ("[Plantao #42] CRITICAL ..."); its buttons
# carry N, which is all the answer needs. A subject without a number gets no buttons.
NUMBER = re.compile(r"#([0-9]{1,18})\b")


def escape(text: str) -> str:
    """Return `text` safe inside Slack mrkdwn: &, < and > as entities (no stray links, pings)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def answer_blocks(
    text: str,
    *,
    number: int | None,
    answers: tuple[str, ...] = tuple(BUTTONS),
    context: str = "",
) -> list[dict]:
    """Return Block Kit blocks: `text` (mrkdwn), a context line, and one button per answer, each
    carrying `number` as its value (no buttons without a number)."""
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}]
    if context:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    if number is not None and answers:
        buttons = []
        for action_id in answers:
            label, style = BUTTONS[action_id]
            button = {
                "type": "button",
                "action_id": action_id,
                "text": {"type": "plain_text", "text": label},
                "value": str(number),
            }
            buttons.append(button | ({"style": style} if style else {}))
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def page_content(message: Message) -> dict:
    """Return the text and blocks of a page: its one-line subject, and the answer buttons."""
    found = NUMBER.search(message.subject)
    number = int(found.group(1)) if found else None
    context = link_text(message.link, number) if message.link else ""
    return {
        "text": message.subject,
        "blocks": answer_blocks(f"*{escape(message.subject)}*", number=number, context=context),
    }


def link_text(url: str, number: int | None) -> str:
    """Return mrkdwn linking to `url`: "Open #42 in Plantao"."""
    what = f"#{number}" if number is not None else "it"
    return f"<{escape(url)}|Open {what} in Plantao>"
