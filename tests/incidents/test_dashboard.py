"""The dashboard: the open incidents (kept fresh by htmx from a fragment, served locally), my
own next shift, and declaring an incident by hand, which pages as an alert would."""

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident, Service
from incidents.services.incidents import incident_resolve
from oncall.models import Membership, Person, Schedule, Team
from oncall.overview import oncall_overview

from .conftest import T0
from .test_acts import person
from .test_web_incidents import fire, on_call, rows, text

MINUTE = timedelta(minutes=1)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def logged_in(client, demo, frozen_now):
    frozen_now(T0)

    def as_(someone: Person | str) -> Client:
        if isinstance(someone, str):
            someone = Person.objects.get(user__username=someone)
        client.force_login(someone.user)
        return client

    return as_


def open_numbers(response) -> list[int]:
    if "incident-table" not in response.content.decode():
        return []
    return [int(row.split(" ")[0].lstrip("#")) for row in rows(response, "incident-table")]


@pytest.mark.django_db
def test_the_open_incidents_show_newest_first_and_refresh_from_a_fragment(logged_in):
    client = logged_in("admin")
    older = fire(key="a", title="Older", at=T0 - 2 * MINUTE)
    gone = fire(key="b", title="Gone", service="auth", at=T0 - MINUTE)
    incident_resolve(incident=gone, now=T0)
    page = client.get("/")
    assert open_numbers(page) == [older.number]
    html = page.content.decode()
    poller = re.search(r'<div id="open-incidents" ([^>]*)>', html).group(1)
    assert 'hx-get="/dashboard/incidents/"' in poller and 'hx-trigger="every 3s"' in poller

    newer = fire(key="c", title="Newer", at=T0 + MINUTE)  # what the next poll brings
    fragment = client.get("/dashboard/incidents/")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert open_numbers(fragment) == [newer.number, older.number]
    assert text(fragment.content.decode()).startswith("Open incidents (2)")


@pytest.mark.django_db
def test_htmx_is_served_from_the_project_with_its_licence(logged_in):
    html = logged_in("admin").get("/").content.decode()
    sources = re.findall(r'<(?:script|link)\b[^>]*(?:src|href)="([^"]+)"', html)
    assert "/static/vendor/htmx/htmx.min.js" in sources
    assert not [source for source in sources if "//" in source]  # nothing from another host
    vendored = ROOT / "static" / "vendor" / "htmx"
    assert (vendored / "htmx.min.js").read_text().startswith("var htmx=")
    assert "Zero-Clause BSD" in (vendored / "LICENSE").read_text()
    assert str(ROOT / "static") in [str(path) for path in django_settings.STATICFILES_DIRS]


@pytest.mark.django_db
def test_my_own_shift_is_shown_now_or_next(logged_in):
    primary = on_call("Primary")
    page = text(logged_in(primary).get("/").content.decode())
    assert "You are on call now Primary, until" in page
    (summary,) = [
        s for s in oncall_overview(person=None, now=T0)["summaries"] if s.schedule.name == "Primary"
    ]
    assert summary.next_person not in (None, primary)
    page = text(logged_in(summary.next_person).get("/").content.decode())
    start = summary.next_start.astimezone(ZoneInfo(summary.next_person.time_zone))
    assert f"Your next shift Primary, from {start:%a} {start.day} {start:%b}, {start:%H:%M}" in page
    client = logged_in("admin")
    client.force_login(get_user_model().objects.create_user("no-profile"))
    assert "Your next shift" not in text(client.get("/").content.decode())


@pytest.mark.django_db
def test_a_responder_declares_an_incident_that_pages_from_the_web(logged_in, workers):
    responder = person(Membership.Role.RESPONDER)
    client = logged_in(responder)
    page = client.get("/").content.decode()
    assert "Declare an incident" in page
    for label in ("Service", "Title", "Urgency", "Details"):
        assert re.search(rf'<label for="declare-\w+">{label}</label>', page), label
    auth = Service.objects.get(name="auth")

    answer = client.post(
        "/incidents/declare/",
        {"service": auth.pk, "title": "Viewers see errors", "urgency": "high", "details": "Rio"},
        follow=True,
    )

    incident = Incident.objects.get(title="Viewers see errors")
    assert answer.redirect_chain == [(f"/incidents/{incident.number}/", 302)]
    assert f"Declared #{incident.number}: its on-call is being paged." in text(
        answer.content.decode()
    )
    assert (incident.service, incident.urgency, incident.details) == (auth, "high", {"text": "Rio"})
    opened = incident.timeline.get(kind="triggered")
    assert (opened.actor, opened.source) == (responder, "web")
    workers.run(T0)
    assert incident.pages.filter(person=on_call("Primary")).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"title": "No service"}, "Service: This field is required."),
        ({"service": "auth", "title": ""}, "Title: This field is required."),
        ({"service": "auth", "title": "\u202e\u200b"}, "An incident needs a title."),
        ({"service": "warehouse", "title": "Not mine"}, "Service: Choose one of the services"),
        ({"service": "auth", "title": "Odd", "urgency": "now"}, "Urgency: Select a valid choice."),
    ],
)
def test_a_bad_declaration_is_a_400_naming_the_field_and_declares_nothing(logged_in, fields, named):
    Service.objects.create(name="warehouse", team=Team.objects.create(name="Data", slug="data"))
    names = {s.name: s.pk for s in Service.objects.all()}
    if "service" in fields:
        fields = {**fields, "service": names[fields["service"]]}
    before = Incident.objects.count()
    answer = logged_in(person(Membership.Role.RESPONDER)).post("/incidents/declare/", fields)
    assert answer.status_code == 400
    assert named in text(answer.content.decode())
    assert Incident.objects.count() == before


@pytest.mark.django_db
def test_a_viewer_has_no_declare_form_and_a_forged_declaration_is_refused(logged_in):
    client = logged_in(person(Membership.Role.VIEWER))
    assert "Declare an incident" not in client.get("/").content.decode()
    auth = Service.objects.get(name="auth")
    answer = client.post("/incidents/declare/", {"service": auth.pk, "title": "Forged"})
    assert answer.status_code == 403
    assert "You may not declare an incident" in answer.content.decode()
    assert not Incident.objects.filter(title="Forged").exists()


@pytest.mark.django_db
def test_the_dashboard_reads_the_same_queries_however_many_open_incidents(logged_in):
    client = logged_in("admin")
    fire(key="one")
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    with CaptureQueriesContext(connection) as one_fragment:
        client.get("/dashboard/incidents/")
    for n in range(8):
        fire(key=f"more-{n}", service=("auth", "cdn")[n % 2])
    with CaptureQueriesContext(connection) as nine:
        assert len(open_numbers(client.get("/"))) == 9
    with CaptureQueriesContext(connection) as nine_fragment:
        client.get("/dashboard/incidents/")
    assert len(nine) == len(one) and len(nine_fragment) == len(one_fragment)


@pytest.mark.django_db
def test_another_teams_schedules_are_not_on_my_dashboard(logged_in):
    other = Team.objects.create(name="Billing", slug="billing")
    Schedule.objects.create(name="Billing primary", team=other)
    mine = logged_in("admin").get("/").content.decode()
    assert "Primary" in mine and "Billing primary" in mine  # a superuser sees every team's
    member = Membership.objects.filter(team__name="Platform SRE", role="responder").first()
    page = logged_in(member.person).get("/").content.decode()
    assert "/schedules/" in page and "Primary" in page
    assert "Billing primary" not in page
