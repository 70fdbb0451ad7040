"""The incident list's filters and pages: what a person narrows the list to, and a page at a
time in a number of queries that does not grow with the rows shown."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident, Service
from incidents.services.incidents import incident_acknowledge, incident_resolve
from oncall.models import Person, Team

from .conftest import T0, make_integration
from .test_web_incidents import fire, rows, section

MINUTE = timedelta(minutes=1)


def numbers(response) -> list[int]:
    """Return the incident numbers the list shows, in order."""
    if "incident-table" not in response.content.decode():
        return []
    return [int(row.split(" ")[0].lstrip("#")) for row in rows(response, "incident-table")]


@pytest.fixture
def admin_client(client, demo, frozen_now):
    frozen_now(T0 + timedelta(days=1))
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


@pytest.fixture
def mixed(admin_client):
    """Five incidents on edge and auth, an hour apart, in every status."""
    made = [
        fire(
            key=f"k{n}",
            title=f"Mixed {n}",
            service=("edge", "auth")[n % 2],
            at=T0 + n * 60 * MINUTE,
        )
        for n in range(5)
    ]
    someone = Person.objects.first()
    incident_acknowledge(incident=made[1], now=T0 + 2 * 60 * MINUTE, by=someone, source="web")
    incident_resolve(incident=made[2], now=T0 + 3 * 60 * MINUTE, by=someone, source="web")
    Incident.objects.filter(pk=made[3].pk).update(urgency="low")
    return made


@pytest.mark.django_db
def test_each_filter_narrows_the_list_newest_first(admin_client, mixed):
    n = [incident.number for incident in mixed]
    edge = Service.objects.get(name="edge")

    def shown(query: str) -> list[int]:
        response = admin_client.get(f"/incidents/?{query}")
        assert response.status_code == 200, response.content
        return numbers(response)

    assert shown("status=") == [n[4], n[3], n[2], n[1], n[0]]
    assert shown("status=acknowledged") == [n[1]]
    assert shown("status=resolved") == [n[2]]
    assert shown(f"service={edge.pk}") == [n[4], n[2], n[0]]
    assert shown("urgency=low") == [n[3]]
    # Times are read in the viewer's zone, as the page writes them.
    response = admin_client.get("/incidents/?status=")
    zone = re.search(r"Times in <strong>([^<]+)</strong>", response.content.decode()).group(1)
    start = (T0 + 60 * MINUTE).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")
    end = (T0 + 3 * 60 * MINUTE).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")
    assert shown(f"since={start}&until={end}") == [n[2], n[1]]
    other = Team.objects.create(name="Data", slug="data")
    make_integration(Service.objects.create(name="warehouse", team=other))
    theirs = fire(key="w", title="Warehouse", service="warehouse", at=T0)
    assert shown(f"team={other.pk}") == [theirs.number]
    assert shown(f"team={other.pk}&status=resolved") == []
    assert (
        "No incident matches."
        in admin_client.get(f"/incidents/?team={other.pk}&status=resolved").content.decode()
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("status=sleeping", "Status: Select a valid choice."),
        ("service=999999", "Service: No such service."),
        ("team=abc", "Team: No such team."),
        ("urgency=urgent", "Urgency: Select a valid choice."),
        ("since=yesterday", "Since: Enter a valid date/time."),
        ("since=2027-01-13T10:00&until=2027-01-13T09:00", "Until: Until must be after Since."),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(admin_client, mixed, query, named):
    response = admin_client.get(f"/incidents/?{query}")
    assert response.status_code == 400
    assert named in response.content.decode()
    assert "incident-table" not in response.content.decode()


@pytest.mark.django_db
def test_the_list_comes_a_page_at_a_time_in_the_same_queries_however_many_rows(admin_client):
    for n in range(30):
        fire(key=f"p{n}", title=f"Paged {n}", at=T0 + n * MINUTE)
    first = admin_client.get("/incidents/?status=triggered")
    assert len(numbers(first)) == 25
    assert "Page 1 of 2" in section(first, "results-title")
    link = re.search(r'<a [^>]*rel="next" href="\?([^"]+)"', first.content.decode()).group(1)
    assert link.replace("&amp;", "&") == "status=triggered&page=2"
    second = admin_client.get(f"/incidents/?{link.replace('&amp;', '&')}")
    assert len(numbers(second)) == 5
    assert set(numbers(first)).isdisjoint(numbers(second))
    assert 'rel="prev"' in second.content.decode()

    with CaptureQueriesContext(connection) as five_rows:
        admin_client.get("/incidents/?status=triggered&page=2")
    with CaptureQueriesContext(connection) as twenty_five_rows:
        admin_client.get("/incidents/?status=triggered&page=1")
    assert len(twenty_five_rows) == len(five_rows)
