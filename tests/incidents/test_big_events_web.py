"""The events pages: a team admin creates an event in their own zone (no JS needed), members
read it and its checklist in words, the test page button pages everyone on call (POST, CSRF,
admins only), and the dashboard shows this week's events with their checklist summary."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from incidents.models import Event, Incident, Service
from oncall.models import Schedule

from .big_events_world import event_make
from .conftest import T0
from .test_web_config import browser, field_errors, someone

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@pytest.mark.django_db
def test_an_admin_creates_an_event_in_their_own_zone_without_javascript(
    demo, sre, manager, frozen_now
):
    frozen_now(T0)
    manager.time_zone = "America/Sao_Paulo"
    manager.save()
    client = browser(manager)
    assert client.get("/events/new/").status_code == 200
    edge, auth = Service.objects.get(name="edge"), Service.objects.get(name="auth")
    answer = client.post(
        "/events/new/",
        {
            "team": sre.pk,
            "name": "Champions final",
            "starts_at": "2027-01-16T16:00",
            "ends_at": "2027-01-16T20:30",
            "services": [edge.pk, auth.pk],
            "extra_schedules": [Schedule.objects.get(name="Secondary").pk],
            "ack_timeout_minutes": "5",
        },
    )
    event = Event.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/events/{event.pk}/"
    assert event.starts_at == datetime(2027, 1, 16, 16, 0, tzinfo=SAO_PAULO)
    assert set(event.services.values_list("name", flat=True)) == {"edge", "auth"}
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert "Readiness checklist: Not ready" in page
    assert "Fail" in page and "Rehearsal" in page  # in words, not colour alone
    assert "Send everyone on call a test page" in page
    assert "Champions final" in client.get("/events/").content.decode()


@pytest.mark.django_db
def test_a_bad_event_shows_its_errors_in_place_and_stores_nothing(demo, sre, manager, frozen_now):
    frozen_now(T0)
    answer = browser(manager).post(
        "/events/new/",
        {
            "team": sre.pk,
            "name": "Final",
            "starts_at": "2027-01-16T16:00",
            "ends_at": "2027-01-16T15:00",
        },
    )
    assert answer.status_code == 400
    assert field_errors(answer)["End"] == ["The event must end after it starts."]
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_a_responder_reads_the_event_but_cannot_change_it_or_send_test_pages(demo, sre, frozen_now):
    frozen_now(T0 - timedelta(hours=2))
    event = event_make()
    responder = someone("rosa", "responder", sre)
    client = browser(responder)
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert "Champions final" in page and "Send everyone on call a test page" not in page
    assert client.post(f"/events/{event.pk}/test-pages/").status_code == 403
    assert client.post(f"/events/{event.pk}/edit/", {"name": "x"}).status_code == 403
    assert client.post(f"/events/{event.pk}/delete/").status_code == 403
    assert not Incident.objects.filter(kind="test").exists()
    assert Event.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_the_button_sends_test_pages_and_the_table_shows_them(demo, manager, frozen_now, rings):
    frozen_now(T0 - timedelta(hours=2))
    event = event_make()
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager.user)
    page = client.get(f"/events/{event.pk}/")
    token = page.cookies["csrftoken"].value
    assert client.post(f"/events/{event.pk}/test-pages/").status_code == 403  # no CSRF token
    sent = client.post(f"/events/{event.pk}/test-pages/", {"csrfmiddlewaretoken": token})
    assert sent.status_code == 302
    tests = Incident.objects.filter(kind="test")
    assert tests.count() == 2 and all(i.pages.exists() for i in tests)
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert "Sent a test page to" in page
    assert page.count("Not yet") == 2


@pytest.mark.django_db
def test_the_dashboard_shows_this_weeks_events_with_their_checklist(demo, manager, frozen_now):
    frozen_now(T0)
    soon = event_make(start=T0 + timedelta(days=3))
    event_make(name="Season premiere", start=T0 + timedelta(days=9))
    page = browser(manager).get("/").content.decode()
    assert f'href="/events/{soon.pk}/"' in page and "Champions final" in page
    assert "Not ready: rehearsal, people failing" in page
    assert "Season premiere" not in page
    assert 'href="/events/"' in page  # the navigation
