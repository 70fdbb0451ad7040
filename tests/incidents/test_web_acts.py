"""Acting on an incident from its web page: the buttons and forms post to views that call
incident_act with source=web, behind CSRF and the one access rule, and say what happened."""

import re
from datetime import timedelta

import pytest
from django.test import Client

from incidents.models import Incident, TimelineEntry
from oncall.models import Membership, Person

from .conftest import T0
from .test_acts import person
from .test_web_incidents import fire, on_call, rows, text

MINUTE = timedelta(minutes=1)
BUTTONS = (">Acknowledge</button>", ">Resolve</button>", ">Escalate</button>")


class Browser:
    """A logged-in browser that posts an incident's forms with the CSRF token of its page."""

    def __init__(self, someone: Person):
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(someone.user)

    def open(self, number: int):
        return self.client.get(f"/incidents/{number}/")

    def press(self, number: int, path: str, **fields):
        page = self.open(number).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.client.post(
            f"/incidents/{number}/{path}/", {"csrfmiddlewaretoken": token, **fields}, follow=True
        )


def messages(response) -> list[str]:
    page = response.content.decode()
    return [text(m) for m in re.findall(r'<li class="message[^"]*">.*?</li>', page, re.S)]


def web_entries(incident: Incident) -> dict[str, Person]:
    return {e.kind: e.actor for e in incident.timeline.filter(source="web")}


@pytest.fixture
def incident(demo, frozen_now, console, workers):
    frozen_now(T0)
    made = fire(service="auth")
    workers.run(T0)
    return made


@pytest.fixture
def console(settings):
    settings.PLANTAO_CHANNEL = "console"


@pytest.mark.django_db
def test_a_responder_acknowledges_snoozes_notes_and_resolves_from_the_page(incident):
    responder = person(Membership.Role.RESPONDER)
    browser = Browser(responder)
    page = browser.open(incident.number).content.decode()
    assert all(button in page for button in BUTTONS)
    assert page.count('name="csrfmiddlewaretoken"') >= 6  # every form, and the logout

    acked = browser.press(incident.number, "acknowledge")
    assert acked.redirect_chain == [(f"/incidents/{incident.number}/", 302)]
    assert messages(acked) == [f"Acknowledged #{incident.number}"]
    assert "Status Acknowledged" in text(acked.content.decode())
    timeline = rows(acked, "timeline-table")
    assert any(
        "Acknowledged" in row and responder.display_name in row and row.endswith("Web")
        for row in timeline
    )
    page = acked.content.decode()
    assert ">Acknowledge</button>" not in page and ">Resolve</button>" in page

    snoozed = browser.press(incident.number, "snooze", minutes="30")
    assert messages(snoozed) == [f"Snoozed #{incident.number} for 30 minutes"]
    noted = browser.press(incident.number, "notes", text="Rolled back the deploy.")
    assert messages(noted) == [f"Added a note to #{incident.number}"]
    assert any("Rolled back the deploy." in row for row in rows(noted, "timeline-table"))
    resolved = browser.press(incident.number, "resolve")
    assert messages(resolved) == [f"Resolved #{incident.number}"]
    assert not any(button in resolved.content.decode() for button in BUTTONS)

    incident.refresh_from_db()
    assert incident.status == "resolved" and incident.resolved_by == responder
    assert web_entries(incident) == {
        "acknowledged": responder,
        "snoozed": responder,
        "note": responder,
        "resolved": responder,
    }


@pytest.mark.django_db
def test_escalate_reassign_and_add_responder_from_the_page(incident):
    admin = Person.objects.get(user__username="helena")
    other = Person.objects.get(user__username="tiago")
    browser = Browser(admin)
    escalated = browser.press(incident.number, "escalate")
    assert messages(escalated) == [f"Escalated #{incident.number}: its next step pages now"]
    page = escalated.content.decode()
    assert f'<option value="{other.pk}">{other.display_name}</option>' in page

    reassigned = browser.press(incident.number, "reassign", person=str(other.pk))
    assert messages(reassigned) == [f"Reassigned #{incident.number} to {other.display_name}"]
    helper = Person.objects.exclude(pk__in=[admin.pk, other.pk]).order_by("pk").first()
    asked = browser.press(incident.number, "responders", person=str(helper.pk))
    assert messages(asked) == [f"Asked {helper.display_name} to help with #{incident.number}"]
    incident.refresh_from_db()
    assert incident.assignee == other
    assert set(web_entries(incident)) == {"escalated", "reassigned", "responder_added"}


@pytest.mark.django_db
def test_nothing_to_do_says_so_and_adds_nothing(incident):
    browser = Browser(person(Membership.Role.RESPONDER))
    browser.press(incident.number, "acknowledge")
    again = browser.press(incident.number, "acknowledge")
    assert again.status_code == 200
    assert messages(again) == [f"Nothing to do: #{incident.number} is already acknowledged."]
    assert incident.timeline.filter(kind=TimelineEntry.Kind.ACKNOWLEDGED).count() == 1
    escalate = browser.press(incident.number, "escalate")
    assert messages(escalate) == [
        f"Nothing to do: #{incident.number} is acknowledged: only a triggered one escalates."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "fields", "named"),
    [
        ("snooze", {"minutes": "0"}, "Minutes:"),
        ("snooze", {"minutes": "soon"}, "Minutes:"),
        ("reassign", {"person": "999999"}, "Person: Choose one of the people listed."),
        ("reassign", {}, "Person: This field is required."),
        ("responders", {"person": "x"}, "Person:"),
        ("notes", {"text": ""}, "Note: This field is required."),
        ("notes", {"text": "   "}, "Note:"),
        ("notes", {"text": "x" * 5001}, "Note:"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(incident, path, fields, named):
    browser = Browser(person(Membership.Role.RESPONDER))
    browser.press(incident.number, "acknowledge")
    before = incident.timeline.count()
    answer = browser.press(incident.number, path, **fields)
    assert answer.status_code == 400
    (message,) = messages(answer)
    assert message.startswith("Nothing was changed.") and named in message, message
    assert incident.timeline.count() == before
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.assignee is None


@pytest.mark.django_db
def test_someone_of_another_team_may_not_reassign_to_a_stranger(incident):
    stranger = person("responder", "Data")
    browser = Browser(Person.objects.get(user__username="helena"))
    answer = browser.press(incident.number, "reassign", person=str(stranger.pk))
    assert answer.status_code == 400
    assert "Person: Choose one of the people listed." in messages(answer)[0]
    assert Incident.objects.get(pk=incident.pk).assignee is None


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(incident):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(person(Membership.Role.RESPONDER).user)
    answer = browser.post(f"/incidents/{incident.number}/acknowledge/")
    assert answer.status_code == 403
    assert Incident.objects.get(pk=incident.pk).status == "triggered"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("acknowledge", {}),
        ("resolve", {}),
        ("escalate", {}),
        ("snooze", {"minutes": "30"}),
        ("reassign", {"person": "1"}),
        ("responders", {"person": "1"}),
        ("notes", {"text": "I was here"}),
    ],
)
def test_a_viewer_sees_no_controls_and_a_forged_post_is_a_403_that_changes_nothing(
    incident, path, fields
):
    viewer = person(Membership.Role.VIEWER)
    browser = Browser(viewer)
    page = browser.open(incident.number).content.decode()
    assert not any(button in page for button in BUTTONS)
    assert re.findall(r'<form [^>]*action="([^"]+)"', page) == ["/logout/"]
    before = incident.timeline.count()

    answer = browser.press(incident.number, path, **fields)

    assert answer.status_code == 403
    assert "You may not act on this incident" in answer.content.decode()
    assert f"#{incident.number} does not exist, or you are not a responder" in text(
        answer.content.decode()
    )
    assert incident.timeline.count() == before
    assert Incident.objects.get(pk=incident.pk).status == "triggered"


@pytest.mark.django_db
def test_an_unknown_incident_is_refused_like_a_forbidden_one(incident):
    browser = Browser(Person.objects.get(user__username="helena"))
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"',
        browser.open(incident.number).content.decode(),
    ).group(1)
    answer = browser.client.post("/incidents/999999/acknowledge/", {"csrfmiddlewaretoken": token})
    assert answer.status_code == 403
    assert "#999999 does not exist, or you are not a responder" in answer.content.decode()


@pytest.mark.django_db
def test_someone_logged_out_is_sent_to_log_in_and_nothing_changes(client, incident):
    answer = client.post(f"/incidents/{incident.number}/acknowledge/")
    assert answer.status_code == 302 and answer["Location"].startswith("/login/?next=")
    assert Incident.objects.get(pk=incident.pk).status == "triggered"


@pytest.mark.django_db
def test_the_page_shows_every_page_with_its_delivery_state(incident):
    primary = on_call("Primary")
    shown = Browser(primary).open(incident.number)
    assert "Status Triggered" in text(shown.content.decode())
    pages = rows(shown, "page-table")
    assert len(pages) == incident.pages.count() > 0
    for page, row in zip(incident.pages.order_by("due_at", "id"), pages, strict=True):
        assert f" {page.get_state_display()} " in row
    assert '<h2 id="timeline-title" class="incident-section__title">Timeline</h2>' in (
        shown.content.decode()
    )
