"""Time off: entering it asks the team to cover the person's shifts inside it (the part still to
come, one request per shift, never twice), moving it follows the shifts, deleting it withdraws
what nobody took; bad input is named by field and stores nothing; the audit log records it.
Also the holiday calendar a person keeps, and the reads around both."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from oncall import absences, demo, selectors, services
from oncall.models import AuditEntry, CoverRequest, Person, Schedule, TimeOff

# A Wednesday in March: Lisbon is on UTC, São Paulo three hours behind, Singapore eight ahead.
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


@pytest.fixture
def primary(db, frozen_now, settings, tmp_path) -> Schedule:
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "sent.jsonl")
    frozen_now(NOW)
    demo.demo_load()
    return Schedule.objects.get(name="Primary")


def next_shift(schedule: Schedule, *, after: datetime = NOW):
    """Return the first whole shift of someone on `schedule` starting after `after`."""
    week = selectors.shifts_between(schedule=schedule, since=after, until=after + timedelta(7))
    for shift in week:
        if shift.person and shift.start > after:
            return shift
    raise AssertionError("nobody is on call this week")


def their_next_shift(schedule: Schedule, shift):
    """Return the same person's next shift on `schedule` after `shift` (the next day's)."""
    after = selectors.person_shifts_between(
        person=shift.person, since=shift.end + timedelta(hours=1), until=shift.end + timedelta(2)
    )
    return next(s for sched, s in after if sched == schedule)


def spans(requests) -> set[tuple[str, datetime, datetime]]:
    return {(r.schedule.name, r.start, r.end) for r in requests}


def expected(person: Person, start: datetime, end: datetime) -> set:
    """The person's shifts inside [max(start, NOW), end), clipped to it, on every schedule."""
    found = selectors.person_shifts_between(person=person, since=max(start, NOW), until=end)
    return {(schedule.name, shift.start, shift.end) for schedule, shift in found}


def open_requests(person: Person):
    return CoverRequest.objects.filter(asker=person, status="open").select_related("schedule")


# --- Cover requests -----------------------------------------------------------------------------


def test_time_off_asks_for_cover_of_the_overlapping_part_of_each_shift(primary):
    shift = next_shift(primary)
    start, end = shift.start + timedelta(hours=2), shift.start + timedelta(days=10)

    time_off = services.time_off_create(
        person=shift.person, start=start, end=end, reason="Wedding in Porto"
    )

    requests = list(open_requests(shift.person))
    want = expected(shift.person, start, end)
    assert spans(requests) == want and len(want) >= 2  # several days of a weekly turn
    first = min(requests, key=lambda r: r.start)
    assert (first.schedule, first.start, first.end) == (primary, start, shift.end)
    assert all(r.time_off == time_off for r in requests)
    assert all(r.note.startswith("Time off: Wedding in Porto (") for r in requests)
    assert all(start <= r.start and r.end <= end for r in requests)


def test_saving_it_again_asks_nothing_twice(primary):
    shift = next_shift(primary)
    end = shift.start + timedelta(days=3)
    time_off = services.time_off_create(person=shift.person, start=shift.start, end=end)
    before = spans(open_requests(shift.person))

    services.time_off_update(time_off=time_off, reason="Moving house")
    services.time_off_update(time_off=time_off, start=shift.start, end=end)

    assert spans(open_requests(shift.person)) == before
    assert CoverRequest.objects.filter(asker=shift.person).count() == len(before)


def test_an_open_request_made_by_hand_is_not_asked_again(primary):
    shift = next_shift(primary)
    services.cover_request_create(
        schedule=primary, asker=shift.person, start=shift.start, end=shift.end
    )
    services.time_off_create(person=shift.person, start=shift.start, end=shift.end)
    (request,) = open_requests(shift.person)
    assert request.time_off is None


def test_two_overlapping_time_offs_ask_once(primary):
    shift = next_shift(primary)
    for hours in (0, 1):
        services.time_off_create(
            person=shift.person, start=shift.start - timedelta(hours=hours), end=shift.end
        )
    assert open_requests(shift.person).filter(schedule=primary).count() == 1


def test_moving_it_withdraws_what_no_longer_fits_and_asks_for_the_new_shifts(primary):
    shift = next_shift(primary)
    time_off = services.time_off_create(person=shift.person, start=shift.start, end=shift.end)
    (old,) = open_requests(shift.person)
    later = their_next_shift(primary, shift)

    services.time_off_update(time_off=time_off, start=later.start, end=later.end)

    old.refresh_from_db()
    assert old.status == "withdrawn"
    assert spans(open_requests(shift.person)) == {("Primary", later.start, later.end)}


def test_deleting_it_withdraws_open_requests_and_keeps_taken_ones(primary):
    shift = next_shift(primary)
    later = their_next_shift(primary, shift)
    time_off = services.time_off_create(person=shift.person, start=shift.start, end=later.end)
    requests = list(open_requests(shift.person).filter(schedule=primary).order_by("start"))
    taker = Person.objects.get(display_name=demo.MANAGER[0])
    services.cover_request_take(request=requests[0], taker=taker)

    services.time_off_delete(time_off=time_off)

    assert not TimeOff.objects.filter(person=shift.person).exists()
    statuses = [CoverRequest.objects.get(pk=r.pk).status for r in requests]
    assert statuses[0] == "taken" and set(statuses[1:]) == {"withdrawn"}


def test_a_shift_in_progress_is_asked_for_from_now_and_past_time_off_asks_nothing(primary):
    shift = next_shift(primary)
    mid = shift.start + timedelta(hours=1)
    services.time_off_create(
        person=shift.person, start=shift.start - timedelta(days=30), end=shift.start
    )
    assert not CoverRequest.objects.exists()

    # An hour into the shift, time off from its start: the hour gone is not asked for.
    from oncall import clock

    real = clock.now
    clock.now = lambda: mid
    try:
        services.time_off_create(person=shift.person, start=shift.start, end=shift.end)
    finally:
        clock.now = real
    (request,) = open_requests(shift.person)
    assert (request.start, request.end) == (mid, shift.end)


def test_the_audit_log_records_time_off_and_the_requests_it_opened(primary):
    shift = next_shift(primary)
    time_off = services.time_off_create(person=shift.person, start=shift.start, end=shift.end)
    pk = time_off.pk
    services.time_off_update(time_off=time_off, reason="Dentist")
    services.time_off_delete(time_off=time_off)

    entries = AuditEntry.objects.filter(object_type="time_off", object_id=str(pk))
    assert list(entries.order_by("pk").values_list("action", flat=True)) == [
        "create",
        "update",
        "delete",
    ]
    assert entries.get(action="update").changes["reason"] == ["", "Dentist"]
    assert {e.person_id for e in entries} == {shift.person.pk}
    request = AuditEntry.objects.filter(object_type="cover_request").order_by("pk")
    assert list(request.values_list("action", flat=True)) == ["create", "update"]


# --- Refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "field", "words"),
    [
        (NOW, NOW - timedelta(hours=1), "end", "after"),
        (NOW, NOW, "end", "after"),
        (NOW.replace(tzinfo=None), NOW + timedelta(days=1), "start", "time zone"),
        (NOW, NOW + timedelta(days=367), "end", "366 days"),
    ],
)
def test_bad_time_off_is_refused_by_field_and_stores_nothing(primary, start, end, field, words):
    person = Person.objects.get(display_name="Ana Souza")
    before = TimeOff.objects.count()  # the demo's own
    with pytest.raises(ValidationError) as refused:
        services.time_off_create(person=person, start=start, end=end)
    assert words in " ".join(refused.value.message_dict[field])
    assert TimeOff.objects.count() == before and not CoverRequest.objects.exists()


def test_a_refused_update_changes_nothing(primary):
    person = Person.objects.get(display_name="Ana Souza")
    time_off = services.time_off_create(
        person=person, start=NOW + timedelta(days=40), end=NOW + timedelta(days=41)
    )
    with pytest.raises(ValidationError):
        services.time_off_update(time_off=time_off, end=NOW + timedelta(days=39))
    stored = TimeOff.objects.get(pk=time_off.pk)
    assert stored.end == NOW + timedelta(days=41)


# --- Holiday calendars --------------------------------------------------------------------------


def test_a_person_keeps_their_zone_s_holidays_until_they_choose_a_calendar(primary):
    ana = Person.objects.get(display_name="Ana Souza")  # America/Sao_Paulo
    calendar = absences.person_holiday_calendar(person=ana)
    assert calendar.as_dict() == {"country": "BR", "subdivision": "", "from_time_zone": True}

    services.person_update(person=ana, holiday_country="br", holiday_subdivision=" sp ")

    ana.refresh_from_db()
    assert (ana.holiday_country, ana.holiday_subdivision) == ("BR", "SP")
    calendar = absences.person_holiday_calendar(person=ana)
    assert calendar.as_dict() == {"country": "BR", "subdivision": "SP", "from_time_zone": False}
    # 9 July, São Paulo's Constitutionalist Revolution day, is a holiday in SP only.
    july = absences.person_holidays_between(
        person=ana, since=date(2026, 7, 1), until=date(2026, 7, 31)
    )
    assert date(2026, 7, 9) in july


@pytest.mark.parametrize(
    ("country", "subdivision", "field", "words"),
    [
        ("XX", "", "holiday_country", "XX is not a country"),
        ("", "SP", "holiday_subdivision", "Choose the country"),
        ("PT", "ZZ", "holiday_subdivision", "ZZ is not a subdivision of PT"),
    ],
)
def test_an_unknown_calendar_is_refused_by_field(primary, country, subdivision, field, words):
    ana = Person.objects.get(display_name="Ana Souza")
    with pytest.raises(ValidationError) as refused:
        services.person_update(person=ana, holiday_country=country, holiday_subdivision=subdivision)
    assert words in " ".join(refused.value.message_dict[field])
    ana.refresh_from_db()
    assert (ana.holiday_country, ana.holiday_subdivision) == ("", "")


def test_upcoming_holidays_are_those_of_the_person_s_calendar_from_their_today(primary):
    ines = Person.objects.get(display_name="Inês Carvalho")  # Europe/Lisbon
    upcoming = absences.person_holidays_upcoming(person=ines, now=NOW, days=60)
    assert date(2026, 4, 3) in upcoming  # Good Friday
    assert date(2026, 4, 25) in upcoming  # Freedom Day
    assert all(day >= date(2026, 3, 4) for day in upcoming)


# --- Reads --------------------------------------------------------------------------------------


def test_who_is_away_in_a_schedule_s_window(primary):
    ana, helena = (Person.objects.get(display_name=n) for n in ("Ana Souza", demo.MANAGER[0]))
    far = NOW + timedelta(days=200)
    inside = services.time_off_create(person=ana, start=far, end=far + timedelta(days=2))
    services.time_off_create(person=ana, start=far + timedelta(days=30), end=far + timedelta(31))
    # The manager takes no turns in Primary: their time off is not the schedule's concern.
    services.time_off_create(person=helena, start=far, end=far + timedelta(days=2))

    window = absences.schedule_time_off_between(
        schedule=primary, since=far - timedelta(days=1), until=far + timedelta(days=7)
    )
    assert list(window) == [inside]
    mine = absences.person_time_off_between(person=ana, since=far, until=far + timedelta(60))
    assert len(mine) == 2
    unavailable = absences.people_time_off_between(
        person_ids=[ana.pk, helena.pk], since=far, until=far + timedelta(days=1)
    )
    assert unavailable == {
        ana.pk: [(inside.start, inside.end)],
        helena.pk: [(far, far + timedelta(days=2))],
    }
