"""One way to act on an incident (incidents.services.acts): every source gives the same
acknowledgement and the same refusal, through its real entry point; snooze, escalate, reassign,
notes and responders through incident_act; the access rule; the on-commit event point."""

import ast
import re
from datetime import timedelta
from itertools import count
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client

from incidents import events
from incidents.access import ActionRefused
from incidents.models import Incident, Page, Service, TimelineEntry
from incidents.models.choices import Action, Source
from incidents.services import engine
from incidents.services.acts import incident_act
from incidents.services.email_links import action_urls
from incidents.services.slack_channel import UPDATE, slack_incident_post
from incidents.slack import tasks
from oncall.models import ContactMethod, Membership, NotificationRule, Person, Team
from oncall.selectors import person_by_contact
from tests.api.conftest import client_for

from .conftest import T0
from .providers import PUBLIC, signed_post
from .test_engine import fire, on_call, phone, sent_to
from .test_slack import press

MINUTE = timedelta(minutes=1)
_serial = count(1)


def person(role: str | None, team: str = "Platform SRE") -> Person:
    """Return a new person with `role` in `team` (None: in no team)."""
    n = next(_serial)
    user = get_user_model().objects.create_user(f"actor{n}", f"actor{n}@example.org")
    someone = Person.objects.create(user=user, display_name=f"Actor {n}")
    if role is not None:
        team_obj, _ = Team.objects.get_or_create(name=team, defaults={"slug": team.lower()})
        Membership.objects.create(team=team_obj, person=someone, role=role)
    return someone


def contact(someone: Person, kind: str, address: str) -> ContactMethod:
    return ContactMethod.objects.create(person=someone, kind=kind, address=address, verified_at=T0)


def page_to(incident: Incident, someone: Person, kind: str, address: str) -> Page:
    """A page of `kind` sent to `someone` for `incident`, as the engine records one."""
    return Page.objects.create(
        incident=incident,
        step=0,
        loop=0,
        person=someone,
        rule_id=next(_serial),
        kind=kind,
        address=address,
        urgency="high",
        state=Page.State.SENT,
        due_at=T0,
        created_at=T0,
        sent_at=T0,
        provider_id=f"SID{next(_serial)}",
    )


# The same acknowledgement from every source


def acknowledge_by(source: str, client, slack, incident: Incident, someone: Person) -> None:
    """Acknowledge `incident` as `someone` through `source`'s real entry point."""
    n = next(_serial)
    if source == "sms":
        number = f"+1555010{n:04d}"
        contact(someone, "sms", number)
        body = {"From": number, "Body": f"ACK {incident.number}", "MessageSid": f"SM{n}"}
        assert signed_post(client, "/twilio/sms/", body).status_code == 200
    elif source == "voice":
        page = page_to(incident, someone, "voice", f"+1555020{n:04d}")
        reply = signed_post(
            client, f"/twilio/voice/{page.pk}/", {"CallSid": page.provider_id, "Digits": "4"}
        )
        assert reply.status_code == 200
    elif source == "slack":
        contact(someone, "slack", f"U0ACTOR{n}")
        assert press(client, slack, incident.number, user=f"U0ACTOR{n}").status_code == 200
    elif source == "email":
        page = page_to(incident, someone, "email", f"actor{n}@example.org")
        link = action_urls(page, now=T0)["acknowledge"].removeprefix(PUBLIC)
        client.post(link)
    elif source == "web":  # logged in, the page's CSRF token, as a browser posts the form
        acknowledge_on_the_web(incident, someone)
    else:  # the REST API, with a token of the respond scope
        api = client_for(someone, "respond")
        answer = api.post(f"/api/v1/incidents/{incident.number}/acknowledge/")
        assert answer.status_code in (200, 403, 404), answer.content


def acknowledge_on_the_web(incident: Incident, someone: Person) -> None:
    """Open the incident's page as `someone` and press Acknowledge; a forged POST when the page
    shows no such button (it still carries a CSRF token, in the logout form)."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(someone.user)
    shown_to = browser.get(f"/incidents/{incident.number}/")
    page = shown_to.content.decode()
    # The dashboard carries a CSRF token too: someone of another team never sees the incident.
    home = browser.get("/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', home).group(1)
    shown = shown_to.status_code == 200 and ">Acknowledge</button>" in page
    answer = browser.post(
        f"/incidents/{incident.number}/acknowledge/", {"csrfmiddlewaretoken": token}
    )
    assert answer.status_code == (302 if shown else 403), answer.content


SOURCES = ["sms", "voice", "slack", "email", "web", "api"]
# A call or an e-mail link reaches only someone the incident paged, so someone of another team
# is tried where a person starts from an address or an API token.
REFUSED = [(source, "viewer") for source in SOURCES] + [
    (source, "outsider") for source in ("sms", "slack", "web", "api")
]


@pytest.fixture
def wired(client, twilio, slack, demo, frozen_now):
    frozen_now(T0)
    return client, slack, fire(service="auth", key="same-ack")


@pytest.mark.django_db
@pytest.mark.parametrize("source", SOURCES)
def test_a_responder_acknowledges_alike_from_every_source(wired, source):
    client, slack, incident = wired
    responder = person(Membership.Role.RESPONDER)
    acknowledge_by(source, client, slack, incident, responder)
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.acknowledged_by == responder
    (entry,) = incident.timeline.filter(kind=TimelineEntry.Kind.ACKNOWLEDGED)
    assert (entry.kind, entry.actor, entry.source) == ("acknowledged", responder, source)


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "who"), REFUSED)
def test_a_viewer_or_someone_of_another_team_is_refused_alike_from_every_source(wired, source, who):
    client, slack, incident = wired
    someone = person(Membership.Role.VIEWER) if who == "viewer" else person("responder", "Data")
    acknowledge_by(source, client, slack, incident, someone)
    incident.refresh_from_db()
    assert incident.status == "triggered" and incident.acknowledged_by is None
    assert not incident.timeline.filter(kind=TimelineEntry.Kind.ACKNOWLEDGED).exists()


# incident_act itself


@pytest.fixture
def incident(demo, frozen_now):
    frozen_now(T0)
    return fire(service="auth", key="act")


def act(incident, action, by, **extra):
    return incident_act(
        incident=incident,
        action=action,
        by=by,
        source=Source.API,
        now=extra.pop("now", T0),
        **extra,
    )


@pytest.mark.django_db
def test_acknowledging_twice_changes_nothing_and_adds_nothing(incident):
    responder = person("responder")
    first = act(incident, Action.ACKNOWLEDGE, responder)
    again = act(incident, Action.ACKNOWLEDGE, responder, now=T0 + MINUTE)
    assert (first.changed, first.message) == (True, f"Acknowledged #{incident.number}")
    assert (again.changed, again.message) == (False, f"#{incident.number} is already acknowledged")
    assert incident.timeline.filter(kind="acknowledged").count() == 1
    incident.refresh_from_db()
    assert incident.acknowledged_at == T0


@pytest.mark.django_db
def test_a_refusal_never_says_whether_the_incident_exists(incident):
    with pytest.raises(ActionRefused) as refused:
        act(incident, Action.RESOLVE, person(None))
    assert str(incident.number) in refused.value.message
    assert incident.title not in refused.value.message
    assert Incident.objects.get(pk=incident.pk).status == "triggered"


@pytest.mark.django_db
def test_a_superuser_acts_on_every_team_and_a_person_paged_from_another_team_acts(incident):
    root = person(None)
    get_user_model().objects.filter(pk=root.user_id).update(is_superuser=True)
    root.refresh_from_db()
    assert act(incident, Action.ACKNOWLEDGE, root).changed
    expert = person("responder", "Databases")
    with pytest.raises(ActionRefused):
        act(incident, Action.NOTE, expert, text="Looking.")
    page_to(incident, expert, "sms", "+15550300001")
    assert act(incident, Action.NOTE, expert, text="Looking.").changed


@pytest.mark.django_db
def test_a_viewer_who_was_paged_still_may_not_act(incident):
    viewer = person("viewer")
    page_to(incident, viewer, "sms", "+15550300002")
    with pytest.raises(ActionRefused):
        act(incident, Action.ACKNOWLEDGE, viewer)


@pytest.mark.django_db
def test_bad_arguments_are_validation_errors_naming_the_field_and_store_nothing(incident):
    responder = person("responder")
    act(incident, Action.ACKNOWLEDGE, responder)
    before = incident.timeline.count()
    for action, extra, field in [
        (Action.SNOOZE, {"minutes": 0}, "minutes"),
        (Action.SNOOZE, {"minutes": 1441}, "minutes"),
        (Action.SNOOZE, {}, "minutes"),
        (Action.REASSIGN, {"person": person("responder", "Data")}, "person"),
        (Action.REASSIGN, {}, "person"),
        (Action.NOTE, {"text": "   "}, "text"),
        ("dance", {}, "action"),
    ]:
        with pytest.raises(ValidationError) as bad:
            act(incident, action, responder, **extra)
        assert field in bad.value.message_dict, (action, extra)
    assert incident.timeline.count() == before


@pytest.mark.django_db
def test_snooze_is_refused_unless_acknowledged(incident):
    responder = person("responder")
    result = act(incident, Action.SNOOZE, responder, minutes=30)
    assert not result.changed and "only an acknowledged incident" in result.message
    assert not incident.timeline.filter(kind="snoozed").exists()


@pytest.mark.django_db
def test_a_snoozed_incident_triggers_and_pages_again_from_its_first_step_after_n_minutes(
    demo, recorded, workers
):
    Service.objects.filter(name="edge").update(ack_timeout_minutes=0)
    incident = fire()
    workers.run(T0)
    primary = on_call("Primary")
    act(incident, Action.ACKNOWLEDGE, primary, now=T0 + MINUTE)
    result = act(incident, Action.SNOOZE, primary, minutes=20, now=T0 + 2 * MINUTE)
    assert result.changed and result.message == f"Snoozed #{incident.number} for 20 minutes"
    entry = incident.timeline.get(kind="snoozed")
    assert (entry.actor, entry.source, entry.data["minutes"]) == (primary, "api", 20)

    before = len(recorded())
    engine.sweep(now=T0 + 21 * MINUTE)  # the scheduler's sweep, as production runs it
    assert Incident.objects.get(pk=incident.pk).status == "acknowledged"
    engine.sweep(now=T0 + 22 * MINUTE)
    incident.refresh_from_db()
    assert incident.status == "triggered" and incident.esc_step == 0
    workers.run(T0 + 22 * MINUTE)
    assert len(recorded()) > before
    assert sent_to(recorded)[before:].count(("sms", phone(primary))) == 1
    retriggered = incident.timeline.get(kind="unacknowledged")
    assert retriggered.message == "The snooze ended; paging again."
    assert incident.pages.filter(step=0, created_at=T0 + 22 * MINUTE).exists()


@pytest.mark.django_db
def test_escalate_reassign_note_and_add_responder_through_incident_act(demo, recorded, workers):
    incident = fire()
    workers.run(T0)
    admin = Person.objects.get(user__username="helena")
    assert act(incident, Action.ESCALATE, admin, now=T0 + MINUTE).changed
    workers.run(T0 + MINUTE)
    assert incident.pages.filter(step=1).exists()

    other = Person.objects.get(user__username="tiago")
    reassigned = act(incident, Action.REASSIGN, admin, person=other, now=T0 + 2 * MINUTE)
    assert reassigned.message == f"Reassigned #{incident.number} to {other.display_name}"
    assert not act(incident, Action.REASSIGN, admin, person=other, now=T0 + 2 * MINUTE).changed
    helper = person("responder", "Databases")
    contact(helper, "sms", "+15550400001")
    NotificationRule.objects.create(
        person=helper, contact_method=helper.contact_methods.get(), delay_minutes=0, urgency="high"
    )
    assert act(incident, Action.ADD_RESPONDER, admin, person=helper, now=T0 + 3 * MINUTE).changed
    again = act(incident, Action.ADD_RESPONDER, admin, person=helper, now=T0 + 3 * MINUTE)
    assert not again.changed
    workers.run(T0 + 3 * MINUTE)
    assert ("sms", "+15550400001") in sent_to(recorded)
    assert ("sms", other.contact_methods.get(kind="sms").address) in sent_to(recorded)
    noted = act(incident, Action.NOTE, helper, text="Rolled back the deploy.", now=T0 + 4 * MINUTE)
    assert noted.changed
    entries = {e.kind: (e.actor, e.source) for e in incident.timeline.exclude(actor=None)}
    assert entries["escalated"] == (admin, "api")
    assert entries["reassigned"] == (admin, "api")
    assert entries["responder_added"] == (admin, "api")
    assert entries["note"] == (helper, "api")
    resolved = act(incident, Action.RESOLVE, other, now=T0 + 5 * MINUTE)
    assert resolved.changed
    assert not act(incident, Action.ESCALATE, other, now=T0 + 6 * MINUTE).changed


@pytest.mark.django_db
def test_the_timeline_says_monitoring_and_engine_as_the_contract_does(demo):
    Service.objects.filter(name="edge").update(auto_resolve_minutes=60)
    by_monitoring = fire(key="a")
    fire(key="a", action="resolve", at=T0 + MINUTE)
    by_engine = fire(key="b")
    engine.sweep(now=T0 + 61 * MINUTE)
    assert by_monitoring.timeline.get(kind="resolved").source == "monitoring"
    assert by_engine.timeline.get(kind="resolved").source == "engine"
    assert set(Source.values) == {
        "sms",
        "voice",
        "slack",
        "email",
        "web",
        "api",
        "monitoring",
        "engine",
    }


# One lookup by contact address


@pytest.mark.django_db
def test_person_by_contact_finds_only_verified_contact_methods(demo):
    someone = person("responder")
    contact(someone, "slack", "U0FOUND")
    ContactMethod.objects.create(person=someone, kind="email", address="new@example.org")
    assert person_by_contact(kind="slack", address="U0FOUND") == someone
    assert person_by_contact(kind="email", address="new@example.org") is None
    assert person_by_contact(kind="sms", address="U0FOUND") is None
    assert person_by_contact(kind="slack", address="") is None


# Side effects hang off one on-commit event point


@pytest.mark.django_db
def test_a_listener_hears_of_a_change_only_after_commit_and_never_of_a_rolled_back_one(
    incident, django_capture_on_commit_callbacks, monkeypatch
):
    heard = []
    monkeypatch.setattr(events, "_listeners", [*events._listeners, heard.append])
    responder = person("responder")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        act(incident, Action.ACKNOWLEDGE, responder)
        raise RuntimeError("the request failed after acting")
    assert heard == []
    with django_capture_on_commit_callbacks(execute=True):
        act(incident, Action.ACKNOWLEDGE, responder)
        assert heard == []  # not yet committed
    assert [(e.incident_id, e.what) for e in heard] == [(incident.pk, "acknowledged")]


@pytest.mark.django_db
def test_an_sms_acknowledgement_updates_the_slack_post_after_commit(
    client, twilio, slack, demo, frozen_now, rings, django_capture_on_commit_callbacks
):
    frozen_now(T0)
    Service.objects.filter(name="auth").update(slack_channel="C0AUTH")
    incident = fire(service="auth", key="slack-after-sms")
    assert slack_incident_post(incident_id=incident.pk)
    responder = person("responder")
    contact(responder, "sms", "+15550500001")
    body = {"From": "+15550500001", "Body": f"ACK {incident.number}", "MessageSid": "SM-ev"}
    with django_capture_on_commit_callbacks(execute=True):
        assert signed_post(client, "/twilio/sms/", body).status_code == 200
        assert (UPDATE, incident.pk) not in rings  # nothing leaves before the commit
    assert (UPDATE, incident.pk) in rings
    tasks.slack_incident_update(incident.pk)  # what the worker does with the ring
    (update,) = [c for c in slack.slack.calls if c["method"] == "chat.update"]
    assert (
        update["channel"] == "C0AUTH"
        and f"Acknowledged by {responder.display_name}" in (update["text"])
    )


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_the_incident_services_pages_and_email_links_import_no_circle():
    root = Path(__file__).resolve().parents[2]
    graph = {
        module: _imports(root / (module.replace(".", "/") + ".py"))
        for module in (
            "incidents.services.incidents",
            "incidents.services.pages",
            "incidents.services.email_links",
            "incidents.services.acts",
            "incidents.services.responses",
        )
    }

    def reaches(start: str, goal: str, seen=()) -> bool:
        return any(
            m == goal or (m in graph and m not in seen and reaches(m, goal, (*seen, m)))
            for m in graph.get(start, ())
        )

    assert not any(reaches(module, module) for module in graph)
