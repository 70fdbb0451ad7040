"""What a paging call says and how it answers key presses, as TwiML (no database, no clock).

CONTRACT.md: the call reads the incident; 4 acknowledges, 6 resolves, * repeats. Silence: the
incident is read once more, then the call ends. An answering machine hears a short message and
nothing is acknowledged.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

ACKNOWLEDGE, RESOLVE, REPEAT = "4", "6", "*"
READINGS = 2  # the first reading, and one more if nobody pressed anything
VOICE = "Polly.Joanna"


def _spoken(title: str) -> str:
    return " ".join(title.split())[:300]


def incident_text(*, number: int, severity: str, title: str) -> str:
    return f"This is Plantão. Incident {number}, {severity}: {_spoken(title)}."


def prompt(*, action_url: str, reading: int, number: int, severity: str, title: str) -> str:
    """Read the incident and wait for a key; after the last reading, say goodbye."""
    response = VoiceResponse()
    if reading > READINGS:
        response.say("Nothing was pressed. Goodbye.", voice=VOICE)
        response.hangup()
        return str(response)
    gather = response.gather(
        num_digits=1, timeout=8, action=action_url, method="POST", finish_on_key=""
    )
    gather.say(incident_text(number=number, severity=severity, title=title), voice=VOICE)
    gather.say("Press 4 to acknowledge, 6 to resolve, star to repeat.", voice=VOICE)
    response.redirect(f"{action_url.split('?')[0]}?reading={reading + 1}", method="POST")
    return str(response)


def voicemail(*, number: int, severity: str, title: str) -> str:
    """What an answering machine gets: the incident, and that it is not acknowledged."""
    response = VoiceResponse()
    response.say(
        incident_text(number=number, severity=severity, title=title)
        + " This message does not acknowledge it. Open Plantão or reply to the text message.",
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
