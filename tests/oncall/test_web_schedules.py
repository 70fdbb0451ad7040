"""The schedule pages as a person sees them: every schedule of their teams, one schedule's
timeline by day, week and month in their zone, and creating and deleting overrides with the
API's permissions."""

import html
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oncall import demo, selectors, services
from oncall.models import Override, Person, Schedule, Team
from oncall.web import layout

# A Wednesday in March: Lisbon is on UTC, São Paulo three hours behind, Singapore eight ahead.
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def text(response) -> str:
    page = response.content.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def field_errors(response, name: str) -> list[str]:
    return response.context["form"].errors.get(name, [])


@pytest.fixture
def demo_org(frozen_now):
    frozen_now(NOW)
    demo.demo_load()


@pytest.fixture
def primary(demo_org) -> Schedule:
    return Schedule.objects.get(name="Primary")


def member(username: str, role: str, *, time_zone="UTC", team="Platform SRE") -> Person:
    return services.person_create(
        username=username,
        display_name=username.removeprefix("test-").title(),
        password="pw-not-the-demo",
        time_zone=time_zone,
        team=Team.objects.get(name=team),
        role=role,
    )


def logged_in(client, person: Person):
    client.force_login(person.user)
    return client


def detail(schedule: Schedule, **query) -> str:
    url = reverse("oncall:schedule-detail", args=[schedule.pk])
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


def create(schedule: Schedule, **query) -> str:
    return reverse("oncall:override-create", args=[schedule.pk])


# --- The pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_shows_each_schedule_of_my_teams_with_who_is_on_call_now_and_next(client, primary):
    me = member("test-ana", "viewer", time_zone="Europe/Lisbon")
    other = Team.objects.create(name="Elsewhere", slug="elsewhere")
    Schedule.objects.create(name="Not mine", team=other)
    on_call = selectors.oncall_at(schedule=primary, at=NOW)

    response = logged_in(client, me).get(reverse("oncall:schedule-list"))

    assert response.status_code == 200
    words = text(response)
    assert "Primary" in words and "Secondary" in words and "Not mine" not in words
    assert f"On call now {on_call.display_name}" in words
    assert f'href="{detail(primary)}"' in response.content.decode()


@pytest.mark.django_db
def test_a_member_sees_the_week_with_final_layers_and_overrides_rows(client, primary):
    me = member("test-ana", "viewer", time_zone="Europe/Lisbon")
    on_call = selectors.oncall_at(schedule=primary, at=NOW)

    response = logged_in(client, me).get(detail(primary))

    assert response.status_code == 200
    words = text(response)
    # The week of Wednesday 4 March 2026, from Monday, in the viewer's zone.
    assert "2 Mar – 8 Mar 2026" in words
    assert "times in Europe/Lisbon (UTC+00:00)" in words
    assert "Final schedule" in words and "Overrides" in words
    for layer in primary.layers.all():
        assert f"{layer.name}" in words
    assert on_call.display_name in words
    # A viewer is shown no controls.
    assert "Create override" not in words and "Cover this shift" not in words
    # Each shift says when it is in the viewer's zone, and in the person's own.
    lisbon = ZoneInfo("Europe/Lisbon")
    for block in response.context["final"]:
        person = block.shift.person
        assert block.title.startswith(f"{person.display_name}: {layout.span(block.shift, lisbon)}")
        if person.time_zone != "Europe/Lisbon":
            theirs = layout.span(block.shift, ZoneInfo(person.time_zone))
            assert block.title.endswith(f"; their time {theirs}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("view", "label", "days"),
    [
        ("day", "Wednesday 4 March 2026", 1),
        ("week", "2 Mar – 8 Mar 2026", 7),
        ("month", "March 2026", 31),
    ],
)
def test_day_week_and_month_views_navigate(client, primary, view, label, days):
    me = member("test-ana", "responder")

    response = logged_in(client, me).get(detail(primary, view=view, date="2026-03-04"))

    assert response.status_code == 200
    assert label in text(response)
    assert len(response.context["days"]) == days
    links = response.context["links"]
    step = {"day": "2026-03-03", "week": "2026-02-25", "month": "2026-02-01"}[view]
    assert links["previous"].endswith(f"view={view}&date={step}")


@pytest.mark.django_db
def test_gaps_are_shown_as_gaps_labelled_nobody_on_call(client, demo_org):
    team = Team.objects.get(name="Platform SRE")
    me = member("test-ana", "admin")
    schedule = Schedule.objects.create(name="Daytime", team=team, time_zone="UTC")
    services.layer_create(
        schedule=schedule,
        name="Days",
        participants=[me],
        turn_unit="days",
        turn_count=1,
        handoff=datetime(2026, 1, 5, 9, tzinfo=UTC),
        time_zone="UTC",
        restrictions=[
            services.RestrictionSpec(kind="daily", start_time=time(9), duration=timedelta(hours=8))
        ],
    )

    response = logged_in(client, me).get(detail(schedule, view="day", date="2026-03-04"))

    final = response.context["final"]
    assert [(b.shift.start.hour, b.shift.end.hour, b.is_gap) for b in final] == [
        (17, 9, True),  # from the evening before
        (9, 17, False),
        (17, 9, True),
    ]
    assert "Nobody on call" in text(response)
    assert "Cover this gap" in text(response)


@pytest.mark.django_db
def test_another_teams_schedule_is_not_found(client, primary):
    other = Team.objects.create(name="Elsewhere", slug="elsewhere")
    stranger = member("test-zed", "admin", team="Elsewhere")
    assert other.memberships.filter(person=stranger).exists()

    client = logged_in(client, stranger)
    assert client.get(detail(primary)).status_code == 404
    when = {"start": "2026-03-04T12:00", "end": "2026-03-04T13:00", "person": stranger.pk}
    assert client.post(create(primary), when).status_code == 404
    assert not Override.objects.exists()


@pytest.mark.django_db
def test_a_week_across_lisbons_spring_change_shows_shift_times_in_local_time(client, frozen_now):
    frozen_now(datetime(2027, 3, 24, 12, tzinfo=UTC))
    demo.demo_load()
    me = member("test-ana", "viewer", time_zone="Europe/Lisbon")
    primary = Schedule.objects.get(name="Primary")
    lisbon = ZoneInfo("Europe/Lisbon")

    response = logged_in(client, me).get(detail(primary, view="week", date="2027-03-28"))

    assert response.status_code == 200
    window = response.context["window"]
    # Monday 22 to Monday 29 March 2027: 7 days, one of them 23 hours long.
    assert window.start == datetime(2027, 3, 22, tzinfo=lisbon)
    assert window.end.astimezone(UTC) - window.start.astimezone(UTC) == timedelta(days=7, hours=-1)
    assert "UTC+00:00 then UTC+01:00" in text(response)
    days = response.context["days"]
    assert len(days) == 7
    assert days[6].day.width == pytest.approx(100 * 23 / (7 * 24 - 1))  # Sunday is 23 h long
    # Each shift is written in Lisbon's wall clock with the offset of the day; the Singapore
    # turn that spans the change says so. Singapore 00-08 UTC wins, Lisbon's 08-16 local
    # follows, São Paulo takes the rest (CONTRACT's follow-the-sun demo).
    shown = {
        when: (block.shift.person.time_zone, theirs)
        for block, when, theirs, *_ in response.context["shifts"]
        if block.shift.start.astimezone(lisbon).day in (27, 28)
    }
    assert list(shown) == [
        "Sat 27 Mar 00:00 – 08:00 (UTC+00:00)",
        "Sat 27 Mar 08:00 – 16:00 (UTC+00:00)",
        "Sat 27 Mar 16:00 – Sun 28 Mar 00:00 (UTC+00:00)",
        "Sun 28 Mar 00:00 – 09:00 (UTC+00:00 then UTC+01:00)",
        "Sun 28 Mar 09:00 – 16:00 (UTC+01:00)",
        "Sun 28 Mar 16:00 – Mon 29 Mar 01:00 (UTC+01:00)",
    ]
    assert shown["Sun 28 Mar 00:00 – 09:00 (UTC+00:00 then UTC+01:00)"] == (
        "Asia/Singapore",
        "Sun 28 Mar 08:00 – 16:00 Asia/Singapore (UTC+08:00)",
    )
    assert shown["Sun 28 Mar 16:00 – Mon 29 Mar 01:00 (UTC+01:00)"] == (
        "America/Sao_Paulo",
        "Sun 28 Mar 12:00 – 21:00 America/Sao_Paulo (UTC-03:00)",
    )
    assert shown["Sun 28 Mar 09:00 – 16:00 (UTC+01:00)"] == ("Europe/Lisbon", "")


# --- Overrides ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cover_this_shift_prefills_start_and_end_in_my_zone(client, primary):
    me = member("test-ana", "responder", time_zone="America/Sao_Paulo")

    page = logged_in(client, me).get(detail(primary))
    block, _, _, cover, *_ = next(
        row for row in page.context["shifts"] if row[0].shift.start <= NOW < row[0].shift.end
    )
    prefilled = client.get(cover)

    zone = ZoneInfo("America/Sao_Paulo")
    form = prefilled.context["form"]
    assert form["start"].value() == block.shift.start.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    assert form["end"].value() == block.shift.end.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    assert "Your time, America/Sao_Paulo" in text(prefilled)
    names = [label for _, label in form.fields["person"].widget.choices]
    assert me.display_name in names and len(names) == 1 + primary.team.members.count()


@pytest.mark.django_db
def test_a_responder_creates_an_override_read_in_their_zone(client, primary):
    me = member("test-ana", "responder", time_zone="America/Sao_Paulo")
    colleague = Person.objects.get(display_name=demo.MANAGER[0])

    response = logged_in(client, me).post(
        create(primary),
        {"person": colleague.pk, "start": "2026-03-04T07:00", "end": "2026-03-04T12:30"},
    )

    assert response.status_code == 302
    override = Override.objects.get()
    assert (override.person, override.created_by) == (colleague, me.user)
    assert override.start == datetime(2026, 3, 4, 10, tzinfo=UTC)  # 07:00 in São Paulo
    assert override.end == datetime(2026, 3, 4, 15, 30, tzinfo=UTC)
    assert selectors.oncall_at(schedule=primary, at=NOW) == colleague
    followed = client.get(response["Location"])
    assert f"Override created: {colleague.display_name} is on call" in text(followed)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "error"),
    [
        (
            {"start": "2026-03-04T12:00", "end": "2026-03-04T11:00"},
            "end",
            "End must be after Start.",
        ),
        (
            {"start": "2026-03-04T12:00", "end": "2026-03-04T12:00"},
            "end",
            "End must be after Start.",
        ),
        ({"start": "", "end": "2026-03-04T12:00"}, "start", "This field is required."),
        ({"start": "tomorrow", "end": "2026-03-04T12:00"}, "start", "Enter a valid date/time."),
    ],
)
def test_the_override_forms_errors_are_shown_in_place_and_store_nothing(
    client, primary, body, field, error
):
    me = member("test-ana", "responder")

    response = logged_in(client, me).post(create(primary), {"person": me.pk, **body})

    assert response.status_code == 400
    assert field_errors(response, field) == [error]
    assert error in text(response)
    assert not Override.objects.exists()


@pytest.mark.django_db
def test_someone_outside_the_team_is_named_and_nothing_is_stored(client, primary):
    Team.objects.create(name="Elsewhere", slug="elsewhere")
    outsider = member("test-zed", "responder", team="Elsewhere")
    me = member("test-ana", "admin")
    services.team_member_set(team=Team.objects.get(name="Elsewhere"), person=me)

    response = logged_in(client, me).post(
        create(primary),
        {"person": outsider.pk, "start": "2026-03-04T12:00", "end": "2026-03-04T13:00"},
    )

    assert response.status_code == 400
    assert field_errors(response, "person") == ["Zed is not a member of the team."]
    assert not Override.objects.exists()


@pytest.mark.django_db
def test_a_viewer_gets_no_form_and_a_403_on_post(client, primary):
    me = member("test-vera", "viewer")

    client = logged_in(client, me)
    page = client.get(detail(primary))
    assert page.context["form"] is None
    assert "Create override" not in text(page)
    refused = client.post(
        create(primary), {"person": me.pk, "start": "2026-03-04T12:00", "end": "2026-03-04T13:00"}
    )
    assert refused.status_code == 403
    assert not Override.objects.exists()


@pytest.mark.django_db
def test_a_responder_deletes_their_own_override_but_not_anothers(client, primary):
    me = member("test-ana", "responder")
    boss = member("test-bea", "admin")
    start = NOW + timedelta(hours=1)
    mine = services.override_create(
        schedule=primary, person=me, start=start, end=start + timedelta(hours=2), created_by=me.user
    )
    theirs = services.override_create(
        schedule=primary,
        person=boss,
        start=start,
        end=start + timedelta(hours=1),
        created_by=boss.user,
    )
    client = logged_in(client, me)
    page = text(client.get(detail(primary)))
    assert page.count("Delete override") == 1

    def delete(override):
        return client.post(reverse("oncall:override-delete", args=[primary.pk, override.pk]))

    assert delete(theirs).status_code == 403
    assert delete(mine).status_code == 302
    assert list(Override.objects.all()) == [theirs]
    logged_in(client, boss)
    assert delete(theirs).status_code == 302
    assert not Override.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start",
    ["2027-03-28T01:30", "2027-10-31T01:30"],  # skipped in spring, repeated in autumn
)
def test_a_local_time_that_never_happens_or_happens_twice_is_refused_in_place(
    client, primary, start
):
    me = member("test-ana", "responder", time_zone="Europe/Lisbon")

    response = logged_in(client, me).post(
        create(primary), {"person": me.pk, "start": start, "end": "2027-11-02T12:00"}
    )

    assert response.status_code == 400
    (error,) = field_errors(response, "start")
    assert "couldn’t be interpreted in time zone Europe/Lisbon" in error
    assert not Override.objects.exists()


@pytest.mark.django_db
def test_the_weeks_queries_do_not_grow_with_its_overrides(client, primary):
    me = member("test-ana", "admin")
    client = logged_in(client, me)
    with CaptureQueriesContext(connection) as bare:
        client.get(detail(primary, date="2026-03-04"))
    services.overrides_create(
        schedule=primary,
        overrides=[
            services.OverrideSpec(
                person=me, start=NOW + timedelta(hours=2 * i), end=NOW + timedelta(hours=2 * i + 1)
            )
            for i in range(40)
        ],
    )
    with CaptureQueriesContext(connection) as busy:
        page = client.get(detail(primary, date="2026-03-04"))

    assert len(page.context["override_blocks"]) > 20
    assert len(busy) == len(bare)
