"""What a paging call says and how it answers key presses, as TwiML (no database, no clock).

CONTRACT.md: the call reads the incident; 4 acknowledges, 6 resolves, * repeats. Silence: the
incident is read once more, then the call ends. An answering machine hears a short message and
nothing is acknowledged. A call carrying several incidents (noise control bundles them) reads
them all, newest first, and 4 or 6 acts on every one.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from incidents.models.choices import Action

ACKNOWLEDGE, RESOLVE, REPEAT = "4", "6", "*"
KEYS = {ACKNOWLEDGE: Action.ACKNOWLEDGE, RESOLVE: Action.RESOLVE}  # what a key press does
READINGS = 2  # the first reading, and one more if nobody pressed anything
VOICE = "Polly.Joanna"
# Incidents a call names one by one; in a storm the rest are counted ("and 40 more"), so the
# reading stays short enough to listen to (and within what Twilio will say).
READ_MAX = 5

Spoken = tuple[int, str, str]  # an incident as a call reads it: number, severity, title


def _spoken(title: str) -> str:
    return " ".join(title.split())[:300]


def incident_text(*, number: int, severity: str, title: str) -> str:
    return f"This is Plantão. Incident {number}, {severity}: {_spoken(title)}."


def incidents_text(incidents: list[Spoken]) -> str:
    """Read one incident as incident_text does, or several, newest first."""
    if len(incidents) == 1:
        ((number, severity, title),) = incidents
        return incident_text(number=number, severity=severity, title=title)
    ordered = sorted(incidents, key=lambda item: -item[0])
    named = " ".join(
        f"Incident {number}, {severity}: {_spoken(title)}."
        for number, severity, title in ordered[:READ_MAX]
    )
    more = f" And {len(ordered) - READ_MAX} more." if len(ordered) > READ_MAX else ""
    return f"This is Plantão. {len(ordered)} open incidents. {named}{more}"


def incidents_named(numbers: list[int]) -> str:
    """Name incidents in a sentence: "Incident 42", "Incidents 43 and 42", "40 incidents"."""
    ordered = sorted(numbers, reverse=True)
    if len(ordered) == 1:
        return f"Incident {ordered[0]}"
    if len(ordered) > READ_MAX:
        return f"{len(ordered)} incidents"
    return f"Incidents {', '.join(map(str, ordered[:-1]))} and {ordered[-1]}"


def prompt(*, action_url: str, reading: int, incidents: list[Spoken]) -> str:
    """Read the incidents and wait for a key; after the last reading, say goodbye."""
    response = VoiceResponse()
    if reading > READINGS:
        response.say("Nothing was pressed. Goodbye.", voice=VOICE)
        response.hangup()
        return str(response)
    gather = response.gather(
        num_digits=1, timeout=8, action=action_url, method="POST", finish_on_key=""
    )
    gather.say(incidents_text(incidents), voice=VOICE)
    if len(incidents) == 1:
        gather.say("Press 4 to acknowledge, 6 to resolve, star to repeat.", voice=VOICE)
    else:
        gather.say("Press 4 to acknowledge all, 6 to resolve all, star to repeat.", voice=VOICE)
    response.redirect(f"{action_url.split('?')[0]}?reading={reading + 1}", method="POST")
    return str(response)


def voicemail(*, incidents: list[Spoken]) -> str:
    """What an answering machine gets: the incidents, and that they are not acknowledged."""
    them = "it" if len(incidents) == 1 else "them"
    response = VoiceResponse()
    response.say(
        incidents_text(incidents)
        + f" This message does not acknowledge {them}."
        + " Open Plantão or reply to the text message.",
        voice=VOICE,
    )
    response.hangup()
    return str(response)


def said(text: str) -> str:
    """Say `text` and hang up (after an acknowledgement, a resolve, or a refusal)."""
    response = VoiceResponse()
    response.say(text, voice=VOICE)
    response.hangup()
    return str(response)
