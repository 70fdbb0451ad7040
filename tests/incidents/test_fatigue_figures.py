"""Fatigue figures against a hand-computed fortnight across the end of summer time in Lisbon
(01:00 UTC on Sunday 2026-10-25: 02:00 WEST becomes 01:00 WET), with a Singapore colleague."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.fatigue.figures import (
    PastLoad,
    SentPage,
    Week,
    merged,
    past_load,
    person_fatigue,
    rounds,
    team_totals,
)
from oncall.calendars import holiday_dates
from oncall.load import Load

LISBON, SINGAPORE = "Europe/Lisbon", "Asia/Singapore"
SINCE, UNTIL = datetime(2026, 10, 19, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)
WEEK_1, WEEK_2 = date(2026, 10, 19), date(2026, 10, 26)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def page(at, interruption, incident, *, step=0, loop=0) -> SentPage:
    return SentPage(at, interruption, incident, step, loop)


PT_HOLIDAYS = frozenset(holiday_dates("PT", "", SINCE.date(), UNTIL.date()))

ANA_SHIFTS = [
    # Saturday 19:00 WEST to Sunday 18:00 WET, and an overlapping shift to Monday 09:00 WET:
    # one span of 39 h on call (Oct 24 18:00 to Oct 26 09:00 UTC).
    (utc(2026, 10, 24, 18), utc(2026, 10, 25, 18)),
    (utc(2026, 10, 25, 12), utc(2026, 10, 26, 9)),
    # Sunday 1 November, All Saints' Day in Portugal, 10:00-14:00 WET.
    (utc(2026, 11, 1, 10), utc(2026, 11, 1, 14)),
    # Outside the period: not counted.
    (utc(2026, 11, 2, 0), utc(2026, 11, 3, 0)),
]
ANA_PAGES = [
    # Incident 1: SMS then a call in the same round, 00:30 WEST Sunday (Saturday's night) ...
    page(utc(2026, 10, 24, 23, 30), "sleep", 1),
    page(utc(2026, 10, 24, 23, 31), "sleep", 1),
    # ... and the policy's second loop at 01:30 WET, in the hour the clocks repeat.
    page(utc(2026, 10, 25, 1, 30), "sleep", 1, loop=1),
    # Incident 2 at 23:00 WET on Sunday (Sunday's night), its step 1 at 19:00 on Monday (off).
    page(utc(2026, 10, 25, 23), "sleep", 2),
    page(utc(2026, 10, 26, 19), "off", 2, step=1),
    # Incident 3 at 12:00 on Monday: business hours.
    page(utc(2026, 10, 26, 12), "business", 3),
    # Incident 4 at 03:00 on Wednesday (Tuesday's night): not the night after Sunday's.
    page(utc(2026, 10, 28, 3), "sleep", 4),
    # Incident 5, its class not recorded: 20:00 WET on Thursday, read as off hours.
    page(utc(2026, 10, 29, 20), "", 5),
    # After the period: not counted.
    page(utc(2026, 11, 2, 0, 30), "sleep", 6),
]
BEN_SHIFTS = [(utc(2026, 10, 24, 14), utc(2026, 10, 25, 0))]  # Sat 22:00 to Sun 08:00 SGT
BEN_PAGES = [
    page(utc(2026, 10, 24, 18), "sleep", 1, step=1),  # 02:00 SGT Sunday
    page(utc(2026, 10, 25, 2), "off", 7),  # 10:00 SGT Sunday
]


def ana():
    return person_fatigue(
        time_zone=LISBON,
        holidays=PT_HOLIDAYS,
        intervals=ANA_SHIFTS,
        pages=ANA_PAGES,
        since=SINCE,
        until=UNTIL,
    )


def ben():
    return person_fatigue(
        time_zone=SINGAPORE,
        holidays=frozenset(),
        intervals=BEN_SHIFTS,
        pages=BEN_PAGES,
        since=SINCE,
        until=UNTIL,
    )


def test_on_call_hours_are_read_on_the_persons_wall_clock_across_the_dst_change():
    # 39 h + 4 h. Night (22:00-08:00): Saturday 22:00 WEST to Sunday 08:00 WET is 11 h (the
    # clocks go back), Sunday 22:00 to Monday 08:00 WET 10 h: 21 h. Weekend: Saturday
    # 19:00-24:00 WEST 5 h, all of Sunday 25 h, and 4 h on 1 November: 34 h. Holiday: those 4 h.
    assert ana().load == Load(hours=43, night=21, weekend=34, holiday=4)
    # Ben: 22:00 Saturday to 08:00 Sunday in Singapore, all night and weekend.
    assert ben().load == Load(hours=10, night=10, weekend=10, holiday=0)


def test_a_page_is_a_notification_round_and_an_incident_counts_once_in_its_first_class():
    # Sleep: incident 1's two loops (SMS + call is one), incident 2, incident 4. Off: incident
    # 2's step 1, incident 5. Business: incident 3.
    assert ana().pages == {"sleep": 4, "off": 2, "business": 1}
    assert ana().incidents == {"sleep": 3, "off": 1, "business": 1}
    assert ben().pages == {"sleep": 1, "off": 1, "business": 0}


def test_nights_woken_and_the_longest_run():
    # Saturday's, Sunday's and Tuesday's nights; Saturday and Sunday are a run of two.
    assert (ana().nights_woken, ana().longest_run) == (3, 2)
    assert (ben().nights_woken, ben().longest_run) == (1, 1)


def test_the_score_and_its_weeks():
    # Week of 19 Oct (UTC): 3 sleep pages 3 × 3 = 9; Saturday's night 5, Sunday's 5 + 3 (run);
    # hours: the 30 h to Monday 00:00 UTC, 13 of them night (11 + 2), 30 weekend:
    # 0.2 × 13 + 0.1 × 30 = 5.6. 9 + 13 + 5.6 = 27.6.
    # Week of 26 Oct: pages 0.5 + 1 + 3 + 1 = 5.5; Tuesday's night 5; hours: Monday
    # 00:00-09:00 (8 night) and the 4 holiday-weekend hours: 0.2 × 8 + 0.1 × 4 + 0.1 × 4 = 2.4.
    # 5.5 + 5 + 2.4 = 12.9.
    assert ana().weeks == [Week(WEEK_1, 27.6, 2), Week(WEEK_2, 12.9, 1)]
    assert ana().score == 40.5
    # Ben: 3 + 1 + 5 + 0.2 × 10 + 0.1 × 10 = 12, all in the first week.
    assert ben().score == 12.0
    assert ben().weeks == [Week(WEEK_1, 12.0, 1), Week(WEEK_2, 0.0, 0)]


def test_team_totals_and_the_mean_per_person():
    total, mean = team_totals([ana(), ben()])
    assert total.load == Load(53, 31, 44, 4)
    assert total.pages == {"sleep": 5, "off": 3, "business": 1}
    assert (total.nights_woken, total.longest_run, total.score) == (4, 2, 52.5)
    assert total.weeks == [Week(WEEK_1, 39.6, 3), Week(WEEK_2, 12.9, 1)]
    assert mean.load == Load(26.5, 15.5, 22, 2)
    assert mean.pages == {"sleep": 2.5, "off": 1.5, "business": 0.5}
    assert mean.nights_woken == 2


def test_nobody_makes_zero_totals():
    total, mean = team_totals([])
    assert total.score == mean.score == 0
    assert total.weeks == []


def test_past_load_uses_the_same_definitions():
    found = past_load(
        time_zone=LISBON,
        holidays=PT_HOLIDAYS,
        intervals=ANA_SHIFTS,
        pages=ANA_PAGES,
        since=SINCE,
        until=UNTIL,
    )
    assert found == PastLoad(load=Load(43, 21, 34, 4), pages=7, sleep_pages=4)


def test_rounds_keep_the_earliest_row_of_each():
    kept = rounds(ANA_PAGES[:2], time_zone=LISBON, since=SINCE, until=UNTIL)
    assert kept == [ANA_PAGES[0]]


instants = st.integers(min_value=0, max_value=14 * 24 * 4).map(
    lambda quarter: SINCE + timedelta(minutes=15 * quarter)
)


@settings(max_examples=60, deadline=None)
@given(
    spans=st.lists(st.tuples(instants, instants), max_size=6),
    sent=st.lists(
        st.tuples(instants, st.sampled_from(["sleep", "off", "business", ""]), st.integers(1, 4)),
        max_size=12,
    ),
    zone=st.sampled_from([LISBON, SINGAPORE, "America/Sao_Paulo"]),
)
def test_the_weeks_add_up_to_the_score_and_the_nights(spans, sent, zone):
    figures = person_fatigue(
        time_zone=zone,
        holidays=PT_HOLIDAYS,
        intervals=[(min(a, b), max(a, b)) for a, b in spans],
        pages=[page(at, kind, incident) for at, kind, incident in sent],
        since=SINCE,
        until=UNTIL,
    )
    assert sum(w.score for w in figures.weeks) == pytest.approx(figures.score, abs=0.15)
    assert sum(w.nights_woken for w in figures.weeks) == figures.nights_woken
    assert figures.load.hours == pytest.approx(
        sum(
            (end - start).total_seconds()
            for start, end in merged([(min(a, b), max(a, b)) for a, b in spans], SINCE, UNTIL)
        )
        / 3600
    )
    assert figures.longest_run <= figures.nights_woken <= sum(figures.pages.values())
