"""The web pages as a person sees them: logging in and out, and who is on call."""

import html
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oncall import demo, selectors, services
from oncall.models import Schedule, Team

# A Wednesday in March: Lisbon is on UTC, São Paulo three hours behind, Singapore eight ahead.
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def text(fragment: str) -> str:
    """Return the words of an HTML fragment as a reader sees them, on one line."""
    inline = re.sub(r"</?(?:a|span|strong|time)\b[^>]*>", "", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def cards(response) -> dict[str, dict[str, str]]:
    """Return each schedule card of the home page: its name -> {"On call now": ..., ...}."""
    page = response.content.decode()
    found = {}
    for article in re.findall(r"<article\b.*?</article>", page, re.S):
        name = text(re.search(r"<h2\b.*?</h2>", article, re.S).group(0))
        pairs = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", article, re.S)
        found[name] = {text(term): text(value) for term, value in pairs} | {"all": text(article)}
    return found


def banner(response) -> str | None:
    """Return the words of the gap banner, or None when the page has none."""
    match = re.search(r'<section class="banner.*?</section>', response.content.decode(), re.S)
    return text(match.group(0)) if match else None


def shown(instant: datetime, zone: str) -> str:
    """Return `instant` as the page writes it in `zone`, e.g. "Wed 4 Mar, 17:00"."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


@pytest.fixture
def demo_org(frozen_now):
    frozen_now(NOW)
    demo.demo_load()


@pytest.fixture
def viewer(db):
    """A logged-in superuser who has no on-call profile: sees every team's schedules (anyone
    else sees only their teams'), each in its own zone."""
    return get_user_model().objects.create_superuser("viewer", password="not-the-demo-one")


def daytime_schedule(*, name="Daytime", hours=8) -> Schedule:
    """Return a schedule covered from 09:00 UTC for `hours` a day: a gap every night if < 24."""
    team = Team.objects.create(name=f"{name} team", slug=name.lower())
    people = [
        services.person_create(username=f"{name.lower()}{i}", display_name=f"{name} Person {i}")
        for i in (1, 2)
    ]
    for person in people:  # a layer takes turns among its team's members
        services.team_member_set(team=team, person=person)
    schedule = Schedule.objects.create(name=name, team=team, time_zone="UTC")
    daily = services.RestrictionSpec(
        kind="daily", start_time=time(9), duration=timedelta(hours=hours)
    )
    services.layer_create(
        schedule=schedule,
        name="Days",
        participants=people,
        turn_unit="days",
        turn_count=1,
        handoff=datetime(2026, 1, 5, 9, tzinfo=UTC),
        time_zone="UTC",
        restrictions=[daily] if hours < 24 else [],
    )
    return schedule


# --- Logging in and out -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_home_page_sends_a_logged_out_visitor_to_log_in(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


@pytest.mark.django_db
def test_the_demo_admin_logs_in_and_sees_who_is_on_call(client, demo_org):
    response = client.post(
        reverse("login"), {"username": "admin", "password": demo.PASSWORD}, follow=True
    )

    assert response.redirect_chain == [(reverse("home"), 302)]
    assert auth.get_user(client).username == "admin"
    assert "Who is on call" in text(response.content.decode())
    assert set(cards(response)) == {"Primary", "Secondary"}


@pytest.mark.django_db
def test_logging_in_goes_on_to_the_page_asked_for(client, demo_org):
    response = client.post(
        reverse("login"),
        {"username": "admin", "password": demo.PASSWORD, "next": reverse("admin:index")},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


@pytest.mark.django_db
def test_a_wrong_password_says_so_and_logs_nobody_in(client, demo_org):
    response = client.post(
        reverse("login"),
        {"username": "admin", "password": "wrong", "next": reverse("admin:index")},
    )

    assert response.status_code == 200
    assert "Please enter a correct username and password" in text(response.content.decode())
    assert 'role="alert"' in response.content.decode()
    # The page asked for is still where the next attempt will go.
    assert f'name="next" value="{reverse("admin:index")}"' in response.content.decode()
    assert not auth.get_user(client).is_authenticated
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_the_logout_button_logs_out_with_a_post(demo_org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get(username="admin"))
    page = client.get(reverse("home")).content.decode()
    form = re.search(r'<form[^>]*method="post" action="/logout/">.*?</form>', page, re.S)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0)).group(1)

    assert client.get(reverse("logout")).status_code == 405  # a link cannot log anyone out
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert not auth.get_user(client).is_authenticated
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_only_staff_see_the_admin_link(client, demo_org):
    admin_link = f'href="{reverse("admin:index")}"'
    client.force_login(get_user_model().objects.get(username="admin"))
    assert admin_link in client.get(reverse("home")).content.decode()

    client.force_login(get_user_model().objects.get(username="ines"))
    page = client.get(reverse("home")).content.decode()
    assert admin_link not in page
    assert "Inês Carvalho" in text(re.search(r"<header.*?</header>", page, re.S).group(0))


# --- Who is on call -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_schedule_shows_who_is_on_call_now_and_who_is_next(client, demo_org):
    client.force_login(get_user_model().objects.get(username="admin"))

    response = client.get(reverse("home"))

    shown_cards = cards(response)
    summaries = selectors.oncall_summary(at=NOW)
    assert [s.schedule.name for s in summaries] == ["Primary", "Secondary"]
    for summary in summaries:
        card = shown_cards[summary.schedule.name]
        assert card["On call now"].startswith(summary.person.display_name)
        assert summary.person.time_zone in card["On call now"]  # where they are
        assert card["Next"].startswith(summary.next_person.display_name)
        assert shown(summary.next_start, "UTC") in card["Next"]  # the admin's zone is UTC
    assert banner(response) is None


@pytest.mark.django_db
def test_times_are_shown_in_the_viewers_zone(client, demo_org):
    secondary = next(s for s in selectors.oncall_summary(at=NOW) if s.schedule.name == "Secondary")
    client.force_login(get_user_model().objects.get(username="wei"))  # Wei is in Singapore

    card = cards(client.get(reverse("home")))["Secondary"]

    assert "times in Asia/Singapore" in card["all"]
    assert card["Until"].startswith(shown(secondary.until, "Asia/Singapore"))
    assert shown(secondary.until, "Asia/Singapore") != shown(secondary.until, "Europe/Lisbon")


@pytest.mark.django_db
def test_a_viewer_without_a_zone_sees_each_schedule_in_its_own(client, demo_org, viewer):
    summaries = {s.schedule.name: s for s in selectors.oncall_summary(at=NOW)}
    client.force_login(viewer)

    shown_cards = cards(client.get(reverse("home")))

    for name, zone in [("Primary", "UTC"), ("Secondary", "Europe/Lisbon")]:
        assert f"times in {zone}" in shown_cards[name]["all"]
        assert shown_cards[name]["Until"].startswith(shown(summaries[name].until, zone))


@pytest.mark.django_db
def test_a_coming_gap_is_announced_with_when_it_starts(client, frozen_now, viewer):
    frozen_now(datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    daytime_schedule(name="Daytime", hours=8)
    daytime_schedule(name="Always", hours=24)
    client.force_login(viewer)

    response = client.get(reverse("home"))

    words = banner(response)
    assert words is not None
    assert "Daytime: nobody on call from Wed 4 Mar, 17:00" in words
    assert "Always" not in words
    card = cards(response)["Daytime"]
    # The person on call stops when the gap starts, not when the next person comes on.
    assert card["Until"].startswith("Wed 4 Mar, 17:00")
    assert card["Next"].startswith("Daytime Person")
    assert "from Thu 5 Mar, 09:00" in card["Next"]


@pytest.mark.django_db
def test_nobody_on_call_now_is_shown_as_a_gap(client, frozen_now, viewer):
    frozen_now(datetime(2026, 3, 4, 20, 0, tzinfo=UTC))
    daytime_schedule(name="Daytime", hours=8)
    client.force_login(viewer)

    response = client.get(reverse("home"))

    card = cards(response)["Daytime"]
    assert card["On call now"].startswith("Nobody — this is a gap")
    assert card["Until"].startswith("Thu 5 Mar, 09:00")
    assert "Daytime: nobody is on call right now, until Thu 5 Mar, 09:00" in banner(response)
    assert "Gap — nobody on call" in card["all"]  # in the list of shifts, for screen readers


@pytest.mark.django_db
def test_no_banner_when_every_schedule_is_covered(client, frozen_now, viewer):
    frozen_now(NOW)
    daytime_schedule(name="Always", hours=24)
    client.force_login(viewer)

    response = client.get(reverse("home"))

    assert banner(response) is None
    assert "gap" not in cards(response)["Always"]["all"].lower()


@pytest.mark.django_db
def test_an_organisation_without_schedules_is_told_how_to_start(admin_client):
    response = admin_client.get(reverse("home"))

    assert response.status_code == 200
    assert "No schedules yet" in text(response.content.decode())
    assert reverse("admin:oncall_schedule_add") in response.content.decode()


@pytest.mark.django_db
def test_the_timeline_lists_every_shift_of_the_fortnight(client, demo_org, viewer):
    shifts = selectors.shifts_between(
        schedule=Schedule.objects.get(name="Primary"), since=NOW, until=NOW + timedelta(days=14)
    )
    client.force_login(viewer)

    card = cards(client.get(reverse("home")))["Primary"]

    for shift in shifts:
        start = shift.start.astimezone(UTC)
        assert f"{start:%a} {start.day} {start:%b %H:%M}" in card["all"]
        assert shift.person.display_name in card["all"]


@pytest.mark.django_db
def test_the_home_page_reads_the_same_few_queries_however_many_schedules(client, demo_org):
    client.force_login(get_user_model().objects.get(username="admin"))
    with CaptureQueriesContext(connection) as two_schedules:
        assert client.get(reverse("home")).status_code == 200
    daytime_schedule(name="Daytime", hours=8)
    daytime_schedule(name="Always", hours=24)

    with CaptureQueriesContext(connection) as four_schedules:
        response = client.get(reverse("home"))

    assert len(cards(response)) == 4
    assert len(four_schedules) == len(two_schedules) <= 20
