"""Overdue action items are reminded to their owners by their first contact method, in the
owners' own business hours (09:00-18:00, Monday to Friday), at most once a day of theirs."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from incidents.models import ActionItem, Postmortem
from incidents.postmortem_reminders import action_item_reminders_send
from oncall.channels.recording import sends
from oncall.models import Team
from oncall.services import (
    contact_method_create,
    notification_rule_create,
    person_create,
    team_member_set,
)
from tests.incidents.test_chaos import concurrently

# A Monday in winter: Los Angeles is UTC-8 (PST), Tokyo UTC+9 all year.
MONDAY = date(2027, 1, 11)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def recorded(settings, tmp_path):
    settings.PLANTAO_CHANNEL = "recording"
    settings.PUBLIC_URL = "https://plantao.example.com"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "sent.jsonl")
    return lambda: sends(settings.PLANTAO_RECORDING_PATH)


def owner(team: Team, name: str, zone: str, number: str):
    person = person_create(username=name, display_name=name.title(), time_zone=zone)
    team_member_set(team=team, person=person, role="responder")
    email = contact_method_create(
        person=person, kind="email", address=f"{name}@example.com", verified=True
    )
    sms = contact_method_create(person=person, kind="sms", address=number, verified=True)
    notification_rule_create(contact_method=sms, delay_minutes=0)  # the first way: a text
    notification_rule_create(contact_method=email, delay_minutes=5)
    return person


def build_world(recorded) -> dict:
    team = Team.objects.create(name="Platform SRE", slug="platform-sre")
    at = utc(2027, 1, 4, 12)
    postmortem = Postmortem.objects.create(
        team=team, title="#42 Playback down", began_at=at, created_at=at, updated_at=at
    )
    people = {
        "la": owner(team, "lucia", "America/Los_Angeles", "+12125550101"),
        "tokyo": owner(team, "kenji", "Asia/Tokyo", "+12125550102"),
    }

    def item(who: str, due_on: date, title: str = "Alert on buffering", **fields) -> ActionItem:
        return ActionItem.objects.create(
            postmortem=postmortem,
            title=title,
            owner=people[who] if who else None,
            due_on=due_on,
            created_at=at,
            updated_at=at,
            **fields,
        )

    return {"people": people, "item": item, "sent": recorded}


@pytest.fixture
def world(db, recorded):
    return build_world(recorded)


def told(world) -> list[str]:
    """Return the numbers texted, in order."""
    numbers = {"+12125550101": "la", "+12125550102": "tokyo"}
    return [numbers[send["address"]] for send in world["sent"]()]


def test_each_owner_hears_in_their_own_working_hours_only(world):
    world["item"]("la", MONDAY)
    world["item"]("tokyo", MONDAY)
    # Wednesday 10:00 UTC: 19:00 in Tokyo, 02:00 in Los Angeles: nobody is at work.
    assert action_item_reminders_send(now=utc(2027, 1, 13, 10)) == 0
    # 17:00 UTC: 09:00 in Los Angeles, 02:00 on Thursday in Tokyo.
    assert action_item_reminders_send(now=utc(2027, 1, 13, 17)) == 1
    assert told(world) == ["la"]
    # Thursday 00:30 UTC: 09:30 Thursday in Tokyo; still Wednesday 16:30 in Los Angeles, who
    # heard today already.
    assert action_item_reminders_send(now=utc(2027, 1, 14, 0, 30)) == 1
    assert told(world) == ["la", "tokyo"]


def test_the_text_names_the_item_its_postmortem_and_the_day_it_was_due(world):
    item = world["item"]("la", MONDAY)
    action_item_reminders_send(now=utc(2027, 1, 13, 17))
    (send,) = world["sent"]()
    assert send["kind"] == "sms"  # the first of the owner's rules, not the e-mail
    assert send["body"] == (
        'Plantao: your action item "Alert on buffering" from the postmortem '
        f'"#42 Playback down" was due Mon 11 Jan. https://plantao.example.com/postmortems/'
        f"{item.postmortem_id}/"
    )


def test_a_text_keeps_to_the_gsm_alphabet(world):
    world["item"]("la", MONDAY, title="Revisão do alarme — “CDN”")
    action_item_reminders_send(now=utc(2027, 1, 13, 17))
    (send,) = world["sent"]()
    assert '"Revisao do alarme - "CDN""' in send["body"]


def test_several_overdue_items_go_in_one_text(world):
    for title in ("Alert on buffering", "Runbook for the CDN", "Load test", "Rotate keys"):
        world["item"]("la", MONDAY, title=title)
    assert action_item_reminders_send(now=utc(2027, 1, 13, 17)) == 1
    (send,) = world["sent"]()
    assert send["body"].startswith(
        'Plantao: 4 of your action items are overdue: "Alert on buffering" (due Mon 11 Jan); '
        '"Runbook for the CDN" (due Mon 11 Jan); "Load test" (due Mon 11 Jan) and 1 more.'
    )
    assert ActionItem.objects.filter(reminded_at=utc(2027, 1, 13, 17)).count() == 4


def test_overdue_is_counted_in_the_owners_own_day(world):
    world["item"]("la", MONDAY.replace(day=12))
    world["item"]("tokyo", MONDAY.replace(day=12))
    # Wednesday 00:30 UTC: Wednesday 09:30 in Tokyo, so Tuesday's item is overdue there; still
    # Tuesday 16:30 in Los Angeles, the very day it is due: not overdue yet.
    assert action_item_reminders_send(now=utc(2027, 1, 13, 0, 30)) == 1
    assert told(world) == ["tokyo"]


def test_working_hours_follow_the_change_of_clocks(world):
    world["item"]("la", date(2027, 3, 1))
    # Friday 12 March, 16:00 UTC is 08:00 PST in Los Angeles: not yet at work.
    assert action_item_reminders_send(now=utc(2027, 3, 12, 16)) == 0
    # Clocks go forward on Sunday 14 March: Monday 16:00 UTC is 09:00 PDT.
    assert action_item_reminders_send(now=utc(2027, 3, 15, 16)) == 1
    assert told(world) == ["la"]


def test_nobody_is_reminded_on_their_weekend(world):
    world["item"]("la", MONDAY)
    world["item"]("tokyo", MONDAY)
    saturday_la = utc(2027, 1, 16, 18)  # Saturday 10:00 in LA, Sunday 03:00 in Tokyo
    sunday_tokyo = utc(2027, 1, 17, 1)  # Sunday 10:00 in Tokyo, Saturday 17:00 in LA
    assert action_item_reminders_send(now=saturday_la) == 0
    assert action_item_reminders_send(now=sunday_tokyo) == 0
    assert action_item_reminders_send(now=utc(2027, 1, 18, 0, 15)) == 1  # Monday 09:15 Tokyo
    assert told(world) == ["tokyo"]


def test_an_owner_hears_once_a_day_however_often_the_sweep_runs(world):
    world["item"]("la", MONDAY)
    for minutes in range(0, 9 * 60, 15):  # every quarter of an hour, 09:00 to 18:00 in LA
        hour, minute = divmod(17 * 60 + minutes, 60)
        action_item_reminders_send(now=utc(2027, 1, 13 + hour // 24, hour % 24, minute))
    assert told(world) == ["la"]
    # The next working day, again.
    assert action_item_reminders_send(now=utc(2027, 1, 14, 17)) == 1
    assert told(world) == ["la", "la"]


def test_items_done_cancelled_without_owner_or_due_day_are_never_reminded(world):
    world["item"]("la", MONDAY, status=ActionItem.Status.DONE, done_at=utc(2027, 1, 12))
    world["item"]("la", MONDAY, status=ActionItem.Status.CANCELLED, done_at=utc(2027, 1, 12))
    world["item"]("la", None)
    world["item"](None, MONDAY)
    world["item"]("la", date(2027, 1, 13))  # due today: not overdue yet
    assert action_item_reminders_send(now=utc(2027, 1, 13, 17)) == 0
    assert world["sent"]() == []


def test_an_item_in_progress_is_still_reminded(world):
    world["item"]("la", MONDAY, status=ActionItem.Status.IN_PROGRESS)
    assert action_item_reminders_send(now=utc(2027, 1, 13, 17)) == 1


def test_an_owner_with_no_verified_way_to_be_reached_is_not_told_nor_marked(world):
    item = world["item"]("la", MONDAY)
    world["people"]["la"].contact_methods.update(verified_at=None)
    assert action_item_reminders_send(now=utc(2027, 1, 13, 17)) == 0
    item.refresh_from_db()
    assert item.reminded_at is None


@pytest.fixture
def committed(transactional_db, recorded):
    return build_world(recorded)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lets one writer in at a time, so two sweeps cannot race there; "
    "set DATABASE_URL=postgres://... to run it",
)
def test_two_sweeps_at_once_remind_once(committed):
    for n in range(20):
        committed["item"]("la" if n % 2 else "tokyo", MONDAY, title=f"Item {n}")
    now = utc(2027, 1, 13, 0, 30)  # Wednesday 09:30 in Tokyo, Tuesday 16:30 in Los Angeles
    counts = []
    concurrently(lambda n: counts.append(action_item_reminders_send(now=now)), threads=4)
    assert sum(counts) == 2
    assert sorted(told(committed)) == ["la", "tokyo"]  # one text each, naming all ten
    assert all("10 of your action items" in send["body"] for send in committed["sent"]())
    assert ActionItem.objects.filter(reminded_at=now).count() == 20


def test_a_text_that_could_not_go_is_tried_again_at_the_next_sweep(world, monkeypatch):
    from incidents import postmortem_reminders
    from oncall.channels.base import ChannelError

    item = world["item"]("la", MONDAY)
    real = postmortem_reminders.paced_send

    def refused(channel, message):
        raise ChannelError("the provider is down", retryable=True)

    monkeypatch.setattr(postmortem_reminders, "paced_send", refused)
    assert action_item_reminders_send(now=utc(2027, 1, 13, 17)) == 0
    item.refresh_from_db()
    assert item.reminded_at is None
    monkeypatch.setattr(postmortem_reminders, "paced_send", real)
    assert action_item_reminders_send(now=utc(2027, 1, 13, 17, 15)) == 1
    assert told(world) == ["la"]
