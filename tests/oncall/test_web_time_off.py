"""/profile/ time off and public holidays: time off typed on my own wall clock, listed with a
Remove button, my shift in it offered to the team; refused input shown on its field with nothing
stored; only my own time off can be removed; the holiday calendar defaults from my time zone."""

from datetime import timedelta

import pytest
from django.test import Client

from oncall.models import CoverRequest, TimeOff
from oncall.services import person_update, time_off_create
from tests.api.conftest import T0, worlds  # noqa: F401 (a fixture)
from tests.oncall.test_web import text
from tests.oncall.test_web_profile import errors

pytestmark = pytest.mark.django_db

PROFILE = "/profile/"


@pytest.fixture
def me(worlds, frozen_now):  # noqa: F811
    frozen_now(T0)
    person = worlds[0].people["responder"]
    person_update(person=person, time_zone="America/Sao_Paulo")
    return person


@pytest.fixture
def browser(me):
    client = Client()
    client.force_login(me.user)
    return client


def test_time_off_is_read_on_my_clock_listed_and_my_shift_in_it_offered(me, browser):
    # The red layer gives the responder the week from T0 + 7 days (Monday 2026-11-09 09:00 UTC).
    added = browser.post(
        "/profile/time-off/",
        {"start": "2026-11-10T06:00", "end": "2026-11-11T06:00", "reason": "Dentist"},
    )
    assert added.status_code == 302
    time_off = TimeOff.objects.get(person=me)
    assert (time_off.start, time_off.end) == (T0 + timedelta(days=8), T0 + timedelta(days=9))
    (request,) = CoverRequest.objects.filter(time_off=time_off)
    assert (request.start, request.end, request.asker) == (time_off.start, time_off.end, me)

    page = text(browser.get(PROFILE).content.decode())
    assert "Added your time off. 1 of your shifts in it offered to your team." in page
    assert "Tue 10 Nov 2026 06:00" in page and "Dentist" in page
    assert "1 offered to the team" in page and "Remove" in page


def test_bad_time_off_is_shown_on_its_field_and_nothing_is_stored(me, browser):
    refused = browser.post(
        "/profile/time-off/", {"start": "2026-11-10T06:00", "end": "2026-11-09T06:00"}
    )
    assert refused.status_code == 400
    assert errors(refused) == ["End must be after Start."]
    assert 'value="2026-11-10T06:00"' in refused.content.decode()  # what was typed stays
    too_long = browser.post(
        "/profile/time-off/", {"start": "2026-11-10T06:00", "end": "2027-12-10T06:00"}
    )
    assert too_long.status_code == 400
    assert errors(too_long) == ["Time off lasts at most 366 days; enter it in parts."]
    assert not TimeOff.objects.exists() and not CoverRequest.objects.exists()


def test_removing_my_time_off_withdraws_its_request_and_another_s_is_not_found(
    worlds,  # noqa: F811
    me,
    browser,
):
    mine = time_off_create(
        person=me, start=T0 + timedelta(days=8), end=T0 + timedelta(days=9), reason="Dentist"
    )
    theirs = time_off_create(
        person=worlds[0].people["admin"], start=T0 + timedelta(days=1), end=T0 + timedelta(2)
    )
    assert browser.post(f"/profile/time-off/{theirs.pk}/remove/").status_code == 404
    assert browser.post(f"/profile/time-off/{mine.pk}/remove/").status_code == 302
    assert list(TimeOff.objects.all()) == [theirs]
    assert set(CoverRequest.objects.filter(asker=me).values_list("status", flat=True)) == {
        "withdrawn"
    }
    assert "Removed your time off." in browser.get(PROFILE).content.decode()


def test_my_public_holidays_default_from_my_zone_and_an_unknown_region_is_refused(me, browser):
    person_update(person=me, time_zone="Europe/Lisbon")
    page = browser.get(PROFILE).content.decode()
    assert '<option value="" selected>From my time zone (Portugal)</option>' in page
    assert "You keep the public holidays of Portugal, the country of your time zone." in text(page)
    assert "Tue 8 Dec 2026: Immaculate Conception" in text(page)  # within 90 days of T0

    refused = browser.post(
        "/profile/holidays/", {"holiday_country": "BR", "holiday_subdivision": "ZZ"}
    )
    assert refused.status_code == 400
    assert "ZZ is not a subdivision of BR" in errors(refused)[0]
    me.refresh_from_db()
    assert (me.holiday_country, me.holiday_subdivision) == ("", "")

    saved = browser.post(
        "/profile/holidays/", {"holiday_country": "BR", "holiday_subdivision": "sp"}
    )
    assert saved.status_code == 302
    me.refresh_from_db()
    assert (me.holiday_country, me.holiday_subdivision) == ("BR", "SP")
    page = text(browser.get(PROFILE).content.decode())
    assert "You keep the public holidays of Brazil (SP)." in page


def test_the_schedule_page_shows_who_is_away_in_the_window_and_marks_their_days(
    worlds,  # noqa: F811
    me,
):
    red, blue = worlds
    time_off_create(
        person=me, start=T0 + timedelta(days=8), end=T0 + timedelta(days=9), reason="Surgery"
    )
    time_off_create(  # not on the red schedule
        person=blue.people["responder"], start=T0 + timedelta(days=8), end=T0 + timedelta(9)
    )
    viewer = Client()
    viewer.force_login(red.people["viewer"].user)  # in UTC
    url = f"/schedules/{red.schedule.pk}/?view=week&date=2026-11-10"
    page = viewer.get(url).content.decode()

    assert '<h3 class="plan__name">Away: red responder</h3>' in page
    assert 'title="Away, red responder: Tue 10 Nov 09:00 – Wed 11 Nov 09:00 UTC' in page
    words = text(page)
    assert "red responder Tue 10 Nov 09:00 – Wed 11 Nov 09:00 UTC (UTC+00:00)" in words
    assert "blue responder" not in words and "Surgery" not in words

    earlier = viewer.get(f"/schedules/{red.schedule.pk}/?view=week&date=2026-11-02")
    earlier = text(earlier.content.decode())
    assert "Nobody on this schedule is away in this week." in earlier
