"""What Plantão says and posts in Slack (pure)."""

from datetime import UTC, datetime
from types import SimpleNamespace

from incidents.slack import messages

T = datetime(2027, 1, 13, 16, 0, tzinfo=UTC)
LATER = datetime(2027, 1, 13, 18, 30, tzinfo=UTC)


def buttons(post: dict) -> list[tuple[str, str]]:
    return [
        (element["text"]["text"], element["value"])
        for block in post["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def shown(post: dict) -> str:
    texts = [block["text"]["text"] for block in post["blocks"] if block["type"] == "section"]
    texts += [
        element["text"]
        for block in post["blocks"]
        if block["type"] == "context"
        for element in block["elements"]
    ]
    return "\n".join(texts)


def post(status: str, by: str = "", title: str = "Disk full") -> dict:
    return messages.incident_post(
        number=42, severity="critical", title=title, service="auth", status=status, by=by
    )


def test_a_triggered_incident_is_posted_with_the_three_buttons_carrying_its_number():
    triggered = post("triggered")
    assert buttons(triggered) == [("Acknowledge", "42"), ("Resolve", "42"), ("Escalate", "42")]
    assert "[Plantao #42] CRITICAL Disk full" in shown(triggered)
    assert "auth" in shown(triggered) and "Triggered" in shown(triggered)
    assert triggered["text"].startswith("[Plantao #42] CRITICAL Disk full")


def test_the_post_says_who_acknowledged_or_resolved_and_keeps_only_what_still_applies():
    acknowledged = post("acknowledged", by="Ana Lima")
    assert "Acknowledged by Ana Lima" in shown(acknowledged)
    assert buttons(acknowledged) == [("Resolve", "42")]
    resolved = post("resolved", by="monitoring")
    assert (
        "Resolved by monitoring" in shown(resolved)
        and "Resolved by monitoring" in (resolved["text"])
    )
    assert buttons(resolved) == []


def test_titles_cannot_ping_the_channel_or_make_links():
    sneaky = post("triggered", title="<!channel> see <https://evil.example|docs> & co")
    assert "<!channel>" not in shown(sneaky) and "<https://" not in shown(sneaky)
    assert "&lt;!channel&gt;" in shown(sneaky) and "&amp; co" in shown(sneaky)


def person(name: str):
    return SimpleNamespace(display_name=name)


def oncall(schedule, who, until=None, following=None, start=None):
    return SimpleNamespace(
        schedule=SimpleNamespace(name=schedule),
        person=person(who) if who else None,
        until=until,
        next_person=person(following) if following else None,
        next_start=start,
    )


def test_oncall_says_who_until_when_in_each_readers_time_zone_and_who_is_next():
    text = messages.oncall(
        [
            oncall("Primary", "Ana Lima", T, "Bruno Sá", T),
            oncall("Secondary", "Carla", T, "Davi", LATER),
            oncall("Nights", None, T, "Eva", T),
            oncall("Forever", "Fábio"),
        ]
    )
    lines = text.splitlines()
    epoch = int(T.timestamp())
    assert lines[0] == (
        f"*Primary*: Ana Lima until <!date^{epoch}^{{date_short_pretty}} {{time}}|"
        "Wed 2027-01-13 16:00 UTC>, then Bruno Sá"
    )
    assert lines[1].startswith("*Secondary*: Carla until <!date^")
    assert lines[1].endswith(
        f"then a gap; next Davi from <!date^{int(LATER.timestamp())}^{{date_short_pretty}} "
        "{time}|Wed 2027-01-13 18:30 UTC>"
    )
    assert lines[2].startswith("*Nights*: nobody (a gap) until ") and lines[2].endswith("then Eva")
    assert lines[3] == "*Forever*: Fábio"
    assert messages.oncall([]) == messages.NO_SCHEDULES


def incident(number, status="triggered", title="Disk full", service="auth"):
    return SimpleNamespace(
        number=number,
        status=status,
        severity="error",
        title=title,
        service=SimpleNamespace(name=service),
    )


def test_the_incident_list_is_one_line_each_and_says_how_many_more():
    text = messages.incident_list(
        [incident(43, title="Slow <search>"), incident(41, "acknowledged")]
    )
    assert text.splitlines() == [
        "#43 *triggered* ERROR Slow &lt;search&gt; · auth",
        "#41 *acknowledged* ERROR Disk full · auth",
    ]
    assert messages.incident_list([incident(43)], more=5).endswith("… and 5 more.")
    assert messages.incident_list([]) == "No open incidents."


def test_answers_say_what_happened_and_when_nothing_did():
    assert messages.done("acknowledge", 42, "Disk full") == "Acknowledged #42 *Disk full*."
    assert messages.done("escalate", 42, "Disk") == "Escalated #42 *Disk*: its next step pages now."
    assert messages.unchanged("acknowledge", 42, "acknowledged", "Ana") == (
        "#42 was already acknowledged by Ana. Nothing was changed."
    )
    assert "only a triggered incident escalates" in messages.unchanged("escalate", 42, "resolved")
    assert "no further escalation step" in messages.unchanged("escalate", 42, "triggered")
    assert "`U0NOBODY`" in messages.not_linked("U0NOBODY")
    assert "Nothing was changed" in messages.not_allowed(42)
