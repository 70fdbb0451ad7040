"""Handoff summaries: one post to the team's Slack channel when a schedule's on-call person
changes, through the real `slack_sdk` client against the local fake of Slack's Web API."""

from datetime import UTC, datetime, time, timedelta

import pytest

from oncall import services, tasks
from oncall.handoffs import handoff_text, handoffs_summarise
from oncall.models import HandoffSummary, Schedule, Team
from tests.incidents.test_chaos import concurrently

CHANNEL = "C0PAYMENTS"
# Daily turns at 09:00 in Lisbon (UTC in winter): Ana on Mondays, Bruno on Tuesdays, and so on.
MONDAY_9 = datetime(2027, 1, 4, 9, tzinfo=UTC)
WEDNESDAY_9 = MONDAY_9 + timedelta(days=2)  # Bruno hands over to Ana
MINUTE = timedelta(minutes=1)


@pytest.fixture
def team(db):
    return Team.objects.create(name="Payments", slug="payments", slack_channel=CHANNEL)


def rotation(team, *, restrictions=()) -> Schedule:
    """A schedule of daily turns at 09:00 Lisbon time between Ana Lima and Bruno Costa."""
    schedule = Schedule.objects.create(
        name="Payments primary", team=team, time_zone="Europe/Lisbon"
    )
    people = [
        services.person_create(username=name.split()[0].lower(), display_name=name)
        for name in ("Ana Lima", "Bruno Costa")
    ]
    for person in people:  # a layer takes turns among its team's members
        services.team_member_set(team=team, person=person)
    services.layer_create(
        schedule=schedule,
        name="Days",
        participants=people,
        turn_unit="days",
        turn_count=1,
        handoff=MONDAY_9,
        time_zone="Europe/Lisbon",
        restrictions=restrictions,
    )
    return schedule


def posts(fake, channel=CHANNEL) -> list[dict]:
    return [
        call
        for call in fake.slack.calls
        if call["method"] == "chat.postMessage" and call["channel"] == channel
    ]


def test_a_handoff_is_posted_once_to_the_team_channel_with_the_new_shift_in_the_schedule_zone(
    slack, team
):
    rotation(team)
    assert handoffs_summarise(now=WEDNESDAY_9 - MINUTE) == 0  # not yet
    assert handoffs_summarise(now=WEDNESDAY_9) == 1
    (post,) = posts(slack)
    assert post["text"] == (
        "*Payments primary* handoff: Bruno Costa → Ana Lima\n"
        "Ana Lima is on call until Thu 07 Jan 09:00 WET.\n"
        "No gaps in the next 24 h."
    )
    for later in (MINUTE, 5 * MINUTE, 9 * MINUTE):  # every scheduler run after it sees it again
        assert handoffs_summarise(now=WEDNESDAY_9 + later) == 0
    assert len(posts(slack)) == 1
    summary = HandoffSummary.objects.get()
    assert (summary.at, summary.outgoing.display_name, summary.incoming.display_name) == (
        WEDNESDAY_9,
        "Bruno Costa",
        "Ana Lima",
    )


def test_two_schedulers_at_the_same_instant_post_it_once(slack, team):
    rotation(team)
    now = WEDNESDAY_9 + 30 * timedelta(seconds=1)
    assert handoffs_summarise(now=now) + handoffs_summarise(now=now) == 1
    assert len(posts(slack)) == 1


def test_a_handoff_missed_for_up_to_ten_minutes_is_still_posted_and_not_an_older_one(slack, team):
    rotation(team)
    assert handoffs_summarise(now=WEDNESDAY_9 + 10 * MINUTE + MINUTE) == 0  # too late
    assert handoffs_summarise(now=WEDNESDAY_9 + timedelta(days=1, minutes=9)) == 1
    (post,) = posts(slack)
    assert post["text"].startswith("*Payments primary* handoff: Ana Lima → Bruno Costa\n")


def test_nothing_is_posted_for_a_team_without_a_channel_or_without_slack(slack, team, settings):
    rotation(team)
    Team.objects.filter(pk=team.pk).update(slack_channel="")
    assert handoffs_summarise(now=WEDNESDAY_9) == 0
    Team.objects.filter(pk=team.pk).update(slack_channel=CHANNEL)
    settings.SLACK_BOT_TOKEN = ""
    assert handoffs_summarise(now=WEDNESDAY_9) == 0
    assert slack.slack.calls == [] and not HandoffSummary.objects.exists()


def test_a_handoff_into_a_gap_says_the_schedule_is_uncovered_and_until_when(slack, team):
    daytime = [services.RestrictionSpec("daily", time(9), timedelta(hours=8))]
    rotation(team, restrictions=daytime)
    assert handoffs_summarise(now=WEDNESDAY_9) == 1  # out of the night's gap
    assert handoffs_summarise(now=WEDNESDAY_9 + timedelta(hours=8)) == 1  # into the next one
    morning, evening = (post["text"] for post in posts(slack))
    assert morning == (
        "*Payments primary* handoff: nobody → Ana Lima\n"
        "Ana Lima is on call until Wed 06 Jan 17:00 WET.\n"
        "Next gap: Wed 06 Jan 17:00 WET to Thu 07 Jan 09:00 WET."
    )
    assert evening == (
        "*Payments primary* handoff: Ana Lima → nobody\n"
        "Payments primary is uncovered: nobody is on call until Thu 07 Jan 09:00 WET, "
        "then Bruno Costa.\n"
        "No other gaps in the next 24 h."
    )


def test_a_shift_across_the_change_to_summer_time_ends_at_the_same_local_hour(slack, team):
    rotation(team)
    # Europe/Lisbon moves to summer time on Sunday 28 March 2027: that turn is 23 hours long.
    assert handoffs_summarise(now=datetime(2027, 3, 27, 9, 1, tzinfo=UTC)) == 1
    (post,) = posts(slack)
    assert "is on call until Sun 28 Mar 09:00 WEST." in post["text"]


def test_the_summary_is_written_in_the_schedule_zone():
    text = handoff_text(
        schedule="Nights <ops>",
        zone="America/Sao_Paulo",
        outgoing="Ana",
        incoming="Bruno",
        until=datetime(2027, 1, 7, 12, tzinfo=UTC),
        then=None,
        next_gap=(datetime(2027, 1, 6, 23, tzinfo=UTC), None),
    )
    assert text == (
        "*Nights &lt;ops&gt;* handoff: Ana → Bruno\n"
        "Bruno is on call until Thu 07 Jan 09:00 -03.\n"
        "Next gap: from Wed 06 Jan 20:00 -03."
    )


def test_a_post_slack_turns_away_for_now_is_tried_again_by_the_next_run(slack, team):
    rotation(team)
    slack.slack.script("429")
    assert handoffs_summarise(now=WEDNESDAY_9) == 0
    assert not HandoffSummary.objects.exists()  # surely not posted: free to be tried again
    assert handoffs_summarise(now=WEDNESDAY_9 + MINUTE) == 1
    slack.slack.script(("error", "channel_not_found"))
    assert handoffs_summarise(now=WEDNESDAY_9 + timedelta(days=1)) == 0
    assert handoffs_summarise(now=WEDNESDAY_9 + timedelta(days=1, minutes=1)) == 0  # not again
    assert len(posts(slack)) == 3


def test_the_scheduled_notices_task_posts_the_summary_too(slack, team, frozen_now):
    rotation(team)
    frozen_now(WEDNESDAY_9 + MINUTE)
    tasks.shift_notices()
    assert len(posts(slack)) == 1


@pytest.mark.postgres
def test_schedulers_running_at_once_post_the_summary_once(transactional_db, slack):
    team = Team.objects.create(name="Payments", slug="payments", slack_channel=CHANNEL)
    rotation(team)
    now = WEDNESDAY_9 + 30 * timedelta(seconds=1)
    posted = []
    concurrently(lambda n: posted.append(handoffs_summarise(now=now)), threads=8)
    assert sum(posted) == 1
    assert len(posts(slack)) == 1
    assert HandoffSummary.objects.count() == 1
