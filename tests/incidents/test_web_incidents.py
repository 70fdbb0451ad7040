"""The incident pages as a person sees them: the board, one incident, and who was paged how.

With no Twilio or Slack configured, `make run` still pages: the console channel logs each page,
and these pages show it.
"""

import html
import logging
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from incidents import selectors
from incidents.ingest.base import AlertEvent
from incidents.models import Incident, Integration, Page, Service
from incidents.services import pages
from incidents.services.alerts import alerts_ingest
from incidents.services.incidents import incident_acknowledge, incident_resolve
from oncall import selectors as oncall_selectors
from oncall.models import Person, Schedule

from .conftest import T0, make_integration

MINUTE = timedelta(minutes=1)


def text(fragment: str) -> str:
    """Return the words of an HTML fragment as a reader sees them, on one line."""
    inline = re.sub(r"</?(?:a|span|strong|time)\b[^>]*>", "", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def section(response, title_id: str) -> str:
    """Return the words of the section labelled by `title_id`."""
    page = response.content.decode()
    match = re.search(rf'<section [^>]*aria-labelledby="{title_id}".*?</section>', page, re.S)
    assert match, f"no section {title_id}"
    return text(match.group(0))


def rows(response, table_class: str) -> list[str]:
    """Return the words of each body row of the first table with class `table_class`."""
    page = response.content.decode()
    table = re.search(rf'<table class="[^"]*\b{table_class}\b.*?</table>', page, re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    return [text(row) for row in re.findall(r"<tr\b.*?</tr>", body, re.S)]


def fire(*, key="disk-full", title="Disk full", service="edge", at=T0) -> Incident:
    integration = Integration.objects.filter(service__name=service).first()
    if integration is None:
        integration = make_integration(Service.objects.get(name=service))
    (result,) = alerts_ingest(
        integration=integration,
        events=[AlertEvent(action="trigger", dedup_key=key, title=title, severity="critical")],
        now=at,
    )
    return Incident.objects.get(pk=result.incident_number)


def on_call(schedule: str, at=T0) -> Person:
    return oncall_selectors.oncall_at(schedule=Schedule.objects.get(name=schedule), at=at)


def phone(person: Person) -> str:
    return person.contact_methods.get(kind="sms").address


@pytest.fixture
def console(settings, caplog):
    """Page through the console channel, as `make run` does; return what it logged."""
    settings.PLANTAO_CHANNEL = "console"
    caplog.set_level(logging.WARNING, logger="plantao.pages")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "plantao.pages"]


@pytest.fixture
def admin_client(client, demo):
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


@pytest.mark.django_db
def test_a_page_through_the_console_is_logged_and_the_incident_is_listed(
    admin_client, console, workers
):
    incident = fire()
    workers.run(T0)
    assert any(line.startswith("PAGE sms to") for line in console())

    response = admin_client.get("/incidents/")

    assert response.status_code == 200
    (row,) = rows(response, "incident-table")
    assert row == f"#{incident.number} Disk full Critical edge Triggered Wed 13 Jan, 10:00 —"
    assert f'href="/incidents/{incident.number}/"' in response.content.decode()
    assert 'aria-current="page">Incidents</a>' in response.content.decode()


@pytest.mark.django_db
def test_the_incident_shows_who_was_paged_how_with_numbers_masked(admin_client, console, workers):
    primary = on_call("Primary")
    incident = fire()
    workers.run(T0)
    number, email = phone(primary), primary.user.email

    response = admin_client.get(f"/incidents/{incident.number}/")

    assert response.status_code == 200
    assert sorted(rows(response, "page-table")) == sorted(
        [
            f"{primary.display_name} SMS •••{number[-4:]} Sent Step 1, pass 1 "
            "13 Jan, 10:00:00 13 Jan, 10:00:00 — —",
            f"{primary.display_name} E-mail {email[0]}•••@{email.split('@')[1]} Sent "
            "Step 1, pass 1 13 Jan, 10:00:00 13 Jan, 10:00:00 — —",
            # The voice call is due three minutes later: not yet sent.
            f"{primary.display_name} Voice call •••{number[-4:]} Pending Step 1, pass 1 "
            "13 Jan, 10:03:00 — — —",
        ]
    )
    page = response.content.decode()
    assert number not in page and number.lstrip("+") not in page
    assert email not in page
    assert "console" not in page.lower()
    head = text(re.search(r'<dl class="facts">.*?</dl>', page, re.S).group(0))
    assert head.startswith("Status Triggered Severity Critical Urgency High Service edge")
    assert "Acknowledged Not yet" in head
    assert section(response, "alerts-title").startswith("Alerts (1)")
    assert rows(response, "alert-table") == ["Wed 13 Jan, 10:00:00 Trigger Critical Disk full"]
    timeline = rows(response, "timeline-table")
    assert timeline[0].startswith("Wed 13 Jan, 10:00:00 Triggered Opened by trigger 'disk-full'.")
    assert any(f"Page sent sms to {primary.display_name}" in entry for entry in timeline)
    assert 'aria-current="true">Incidents</a>' in page


@pytest.mark.django_db
def test_a_failed_page_shows_why_without_the_number(admin_client, console, workers):
    incident = fire()
    workers.run(T0)
    voice = incident.pages.get(kind="voice")
    reason = f"The number {voice.address} is unreachable"
    pages.page_failed(page=voice, reason=reason, now=T0 + MINUTE, states=(Page.State.PENDING,))

    response = admin_client.get(f"/incidents/{incident.number}/")

    (failed,) = [row for row in rows(response, "page-table") if "Failed" in row]
    assert f"Failed The number •••{voice.address[-4:]} is unreachable" in failed
    assert failed.endswith("13 Jan, 10:01:00")
    assert voice.address not in response.content.decode()
    assert any("Page failed" in entry for entry in rows(response, "timeline-table"))


@pytest.mark.django_db
def test_acknowledging_shows_who_did(admin_client, console, workers):
    primary = on_call("Primary")
    incident = fire()
    workers.run(T0)
    incident_acknowledge(incident=incident, now=T0 + 2 * MINUTE, by=primary, source="sms")

    listed = admin_client.get("/incidents/")
    shown = admin_client.get(f"/incidents/{incident.number}/")

    (row,) = rows(listed, "incident-table")
    assert f"Acknowledged Wed 13 Jan, 10:00 Acknowledged by {primary.display_name}" in row
    assert f"Acknowledged Wed 13 Jan, 10:02:00 by {primary.display_name}" in text(
        shown.content.decode()
    )
    # The voice call due at 10:03 will not go now.
    assert any(
        row.startswith(f"{primary.display_name} Voice call") and "Cancelled" in row
        for row in rows(shown, "page-table")
    )


@pytest.mark.django_db
def test_open_incidents_come_newest_first_then_the_twenty_last_resolved(
    admin_client, workers, django_assert_max_num_queries
):
    for n in range(21):
        incident = fire(key=f"old-{n}", title=f"Old {n}", at=T0 - timedelta(hours=5 - n / 10))
        incident_resolve(incident=incident, now=T0 - timedelta(hours=1) + n * MINUTE)
    older = fire(key="a", title="Older", at=T0)
    newer = fire(key="b", title="Newer", service="auth", at=T0 + MINUTE)
    incident_acknowledge(incident=older, now=T0 + MINUTE, by=Person.objects.first(), source="web")

    # The session, its user, the open and the resolved incidents, the viewer's person, and the
    # services and teams the filters offer.
    with django_assert_max_num_queries(7):
        response = admin_client.get("/incidents/")

    open_rows = [row.split(" ")[0] for row in rows(response, "incident-table")]
    assert open_rows == [f"#{newer.number}", f"#{older.number}"]
    resolved = re.findall(r"#\d+ Old (\d+)", section(response, "resolved-title"))
    assert resolved == [str(n) for n in range(20, 0, -1)]  # "Old 0", resolved first, is dropped
    assert section(response, "open-title").startswith("Open (2)")


@pytest.mark.django_db
def test_times_are_in_the_viewers_zone(client, demo, console, workers):
    incident = fire()
    ana = Person.objects.get(display_name="Ana Souza")  # São Paulo: three hours behind UTC
    assert ana.time_zone == "America/Sao_Paulo"
    client.force_login(ana.user)
    (row,) = rows(client.get("/incidents/"), "incident-table")
    assert "Wed 13 Jan, 07:00" in row
    detail = client.get(f"/incidents/{incident.number}/").content.decode()
    assert "Times in <strong>America/Sao_Paulo</strong>" in detail
    assert 'datetime="2027-01-13T07:00:00-03:00"' in detail

    # Someone with no on-call profile reads UTC (a superuser: they see every team's incidents).
    client.force_login(
        get_user_model().objects.create_superuser("nobody-on-call", "n@example.org", "x")
    )
    (row,) = rows(client.get("/incidents/"), "incident-table")
    assert "Wed 13 Jan, 10:00" in row


@pytest.mark.django_db
def test_anonymous_people_are_sent_to_log_in(client, demo):
    incident = fire()
    for path in ("/incidents/", f"/incidents/{incident.number}/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


@pytest.mark.django_db
def test_an_unknown_incident_is_not_found(admin_client):
    assert admin_client.get("/incidents/999999/").status_code == 404
    assert admin_client.get("/incidents/nope/").status_code == 404


@pytest.mark.django_db
def test_the_lists_are_read_only(admin_client):
    assert admin_client.post("/incidents/").status_code == 405


@pytest.mark.django_db
def test_an_incident_is_read_in_a_constant_number_of_queries(
    admin_client, console, workers, django_assert_max_num_queries
):
    incident = fire()
    for n in range(1, 8):
        fire(at=T0 + n * MINUTE)  # more alerts on the same incident
    workers.run(T0 + timedelta(hours=3))  # three passes of the policy: many pages
    assert incident.pages.count() > 20 and incident.timeline.count() > 20

    root = get_user_model().objects.get(username="admin")  # admin_client's superuser
    with django_assert_max_num_queries(4):
        detail = selectors.incident_detail(number=incident.number, user=root)
    assert detail.alert_count == 8 and len(detail.alerts) == selectors.ALERTS_SHOWN
    # The page adds the session, its user and their person; for someone who may act, the
    # access check and the two lists of people its forms offer.
    with django_assert_max_num_queries(10):
        assert admin_client.get(f"/incidents/{incident.number}/").status_code == 200


@pytest.mark.parametrize(
    ("kind", "address", "shown"),
    [
        ("sms", "+12125550107", "•••0107"),
        ("voice", "+12125550107", "•••0107"),
        ("email", "ines.carvalho@plantao.example", "i•••@plantao.example"),
        ("slack", "U024BE7LH", "•••E7LH"),
        ("sms", "1234", "•••"),
        ("email", "not-an-address", "•••"),
    ],
)
def test_addresses_are_masked(kind, address, shown):
    assert selectors.address_mask(kind, address) == shown


@pytest.mark.django_db
def test_another_teams_incidents_do_not_exist_on_the_web(client, demo, console, workers):
    from oncall.models import Team
    from oncall.services import person_create, team_member_set

    incident = fire()
    stranger = person_create(username="data-admin", display_name="Data Admin")
    team_member_set(
        team=Team.objects.create(name="Data", slug="data"), person=stranger, role="admin"
    )
    client.force_login(stranger.user)
    assert client.get(f"/incidents/{incident.number}/").status_code == 404
    for path in ("/incidents/", "/incidents/?status=triggered", "/"):
        assert incident.title not in client.get(path).content.decode(), path

    ana = Person.objects.get(display_name="Ana Souza")  # of Platform SRE: she sees it
    client.force_login(ana.user)
    assert client.get(f"/incidents/{incident.number}/").status_code == 200
    assert incident.title in client.get("/incidents/").content.decode()
