"""What Plantão answers in Slack and posts there, in Slack's mrkdwn (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from incidents.render import page_subject
from incidents.slack.commands import ACKNOWLEDGE, ESCALATE, RESOLVE
from oncall.channels import slack_blocks as slack
from oncall.channels.slack_blocks import answer_blocks, escape, link_text

HELP = (
    "*/oncall* [schedule or team]: who is on call now, until when, and who is next\n"
    "*/incident list*: the open incidents, newest first\n"
    "*/incident ack* <n> or */incident resolve* <n>: acknowledge or resolve incident #n\n"
    "*/incident declare* <title> [--service <name>]: open an incident and page its on-call "
    "(without --service: the first service, by name, of the first team you respond for)"
)
NOTHING_OPEN = "No open incidents."
NO_SCHEDULES = "No schedules yet."
NO_SERVICE = (
    "You are not a responder or admin of a team with a service, so you cannot declare an "
    "incident. Nothing was changed."
)
DONE = {ACKNOWLEDGE: "Acknowledged", RESOLVE: "Resolved", ESCALATE: "Escalated"}
# The buttons a channel post or page keeps in each state: an acknowledged incident can still be
# resolved.
STILL_POSSIBLE = {
    "triggered": (slack.ACKNOWLEDGE, slack.RESOLVE, slack.ESCALATE),
    "acknowledged": (slack.RESOLVE,),
    "resolved": (),
}


def when(instant: datetime) -> str:
    """Return `instant` for Slack to show in each reader's own time zone (in UTC where it
    cannot)."""
    fallback = instant.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M UTC")
    return f"<!date^{int(instant.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def not_linked(user_id: str) -> str:
    return (
        "Your Slack account is not linked to anyone on Plantão, so nothing was changed. To link "
        f"it, add a Slack contact method with your member id `{escape(user_id)}` to your Plantão "
        "profile and have it verified (an administrator can, in the admin's Contact methods)."
    )


def not_allowed(number: int) -> str:
    return (
        f"#{number} does not exist, or you are not a responder or admin of its team. "
        "Nothing was changed."
    )


def done(action: str, number: int, title: str) -> str:
    line = f"{DONE[action]} #{number} *{escape(title)}*."
    return line[:-1] + ": its next step pages now." if action == ESCALATE else line


def unchanged(action: str, number: int, status: str, by: str = "") -> str:
    """Say why pressing `action` on #number changed nothing (it is `status`, by `by`)."""
    if action != ESCALATE:
        by = f" by {escape(by)}" if by else ""
        return f"#{number} was already {status}{by}. Nothing was changed."
    if status != "triggered":
        return f"#{number} is {status}: only a triggered incident escalates. Nothing was changed."
    return f"#{number} has no further escalation step. Nothing was changed."


def _shift(answer) -> str:
    line = escape(answer.person.display_name) if answer.person else "nobody (a gap)"
    if answer.until is None:
        return line
    line += f" until {when(answer.until)}"
    if answer.next_person is None:
        return line
    following = escape(answer.next_person.display_name)
    if answer.next_start == answer.until or answer.person is None:
        return f"{line}, then {following}"
    return f"{line}, then a gap; next {following} from {when(answer.next_start)}"


def oncall(answers: Iterable) -> str:
    """Say who is on call for each schedule (oncall.selectors.OnCall), until when, who is next."""
    lines = [f"*{escape(answer.schedule.name)}*: {_shift(answer)}" for answer in answers]
    return "\n".join(lines) or NO_SCHEDULES


def no_schedule(asked: str, schedules: Iterable[str], teams: Iterable[str]) -> str:
    return (
        f"No schedule or team is named “{escape(asked)}”. Schedules: "
        f"{escape(', '.join(schedules)) or 'none'}; teams: {escape(', '.join(teams)) or 'none'}."
    )


def incident_list(incidents: Iterable, more: int = 0) -> str:
    """List open incidents, one a line: number, status, severity, title, service."""
    lines = [
        f"#{i.number} *{i.status}* {i.severity.upper()} {escape(i.title)} · "
        f"{escape(i.service.name)}"
        for i in incidents
    ]
    if more:
        lines.append(f"… and {more} more.")
    return "\n".join(lines) or NOTHING_OPEN


def declared(number: int, title: str, service: str, *, named: bool) -> str:
    line = f"Declared #{number} *{escape(title)}* on {escape(service)}: paging its on-call now."
    return line if named else line + " (For another service: `--service <name>`.)"


def service_unknown(name: str, yours: Iterable[str]) -> str:
    return (
        f"You respond for no service named “{escape(name)}”; yours: "
        f"{escape(', '.join(yours))}. Nothing was changed."
    )


def incident_post(
    *,
    number: int,
    severity: str,
    title: str,
    service: str,
    status: str,
    by: str = "",
    url: str = "",
) -> dict:
    """Return the text and blocks of an incident's post in its service's channel, as it stands:
    the buttons that still apply, and who acknowledged or resolved it. The Slack pages sent for
    the incident are updated to the same once it changes, so every copy shows one state."""
    headline = page_subject(number=number, severity=severity, title=title)
    state = status.capitalize() + (f" by {by}" if by and status != "triggered" else "")
    return {
        "text": f"{headline} ({state})",
        "blocks": answer_blocks(
            f"*{escape(headline)}*",
            number=number,
            answers=STILL_POSSIBLE.get(status, ()),
            context=f"{escape(service)} · {escape(state)}"
            + (f" · {link_text(url, number)}" if url else ""),
        ),
    }
