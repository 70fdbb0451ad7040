"""No endpoint shows another team's objects: every route of /api/v1/, read from the URL conf,
is asked for the other team's object and answers 404 exactly as for a missing one, and no list
mentions it. A new route is covered by being added; a new kind of object must be given here."""

import re
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from incidents.models import (
    ActionItem,
    EscalationPolicy,
    Event,
    Incident,
    Integration,
    MaintenanceWindow,
    Postmortem,
    PostmortemEntry,
    Rehearsal,
    RotaProposal,
    Service,
)
from incidents.services.postmortems import action_item_create, entry_add, postmortem_start
from oncall.models import (
    AuditEntry,
    ContactMethod,
    Layer,
    NotificationRule,
    Override,
    Person,
    Schedule,
    Team,
    TimeOff,
)
from tests.api.conftest import T0

pytestmark = pytest.mark.django_db

GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def api_routes(patterns=None, prefix=""):
    """Yield (regex of the whole path, view) for every route under /api/v1/."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        regex = prefix + entry.pattern.regex.pattern.lstrip("^").rstrip("$").replace(r"\Z", "")
        if isinstance(entry, URLResolver):
            yield from api_routes(entry.url_patterns, regex)
        elif isinstance(entry, URLPattern) and regex.startswith("api/v1/"):
            yield regex, entry.callback


def objects_of(world) -> dict:
    """Return one object of each kind the API serves, of `world`'s team."""
    person = world.people["responder"]
    postmortem = postmortem_start(incidents=[world.incident], by=person, now=T0)
    return {
        Team: world.team,
        Person: person,
        ContactMethod: person.contact_methods.first(),
        NotificationRule: person.notification_rules.first(),
        Schedule: world.schedule,
        Layer: world.schedule.layers.first(),
        Override: Override.objects.create(
            schedule=world.schedule, person=person, start=T0, end=T0 + timedelta(hours=2)
        ),
        TimeOff: TimeOff.objects.create(
            person=person, start=T0 + timedelta(days=30), end=T0 + timedelta(days=31)
        ),
        Service: world.service,
        MaintenanceWindow: MaintenanceWindow.objects.create(
            service=world.service,
            start=T0,
            end=T0 + timedelta(hours=1),
            reason=f"{world.team.slug} upgrade",
        ),
        Integration: world.integration,
        EscalationPolicy: world.policy,
        Incident: world.incident,
        AuditEntry: AuditEntry.objects.filter(team_id=world.team.pk).first(),
        Postmortem: postmortem,
        PostmortemEntry: entry_add(
            postmortem=postmortem, by=person, now=T0, at=T0, text=f"{world.team.slug} noted"
        ),
        ActionItem: action_item_create(
            postmortem=postmortem, by=person, now=T0, title=f"{world.team.slug} runbook"
        ),
        RotaProposal: RotaProposal.objects.create(
            schedule=world.schedule, since=T0, until=T0 + timedelta(days=7), created_at=T0
        ),
        Event: event_of(world),
        Rehearsal: Rehearsal.objects.create(
            service=Service.objects.create(
                name=f"{world.service.name}-rehearsal",
                team=world.team,
                rehearsal_of=world.service,
                escalation_policy=world.policy,
            ),
            alerts=10,
            rate=1,
            started_at=T0,
        ),
    }


def event_of(world) -> Event:
    event = Event.objects.create(
        team=world.team,
        name=f"{world.team.slug} final",
        starts_at=T0 + timedelta(days=1),
        ends_at=T0 + timedelta(days=1, hours=2),
        created_at=T0,
    )
    event.services.add(world.service)
    return event


# Routes for superusers alone (a rehearsal loads the whole installation): a team admin is
# refused the list as a whole, told nothing of any team.
SUPERUSERS_ONLY = {"api/v1/rehearsals/"}
# Routes that only take a POST (a configuration file to plan or apply): nothing to list; their
# team checks are tests/api/test_config.py's.
POST_ONLY = {"api/v1/config/plan/", "api/v1/config/apply/"}


# What a route's further id names, by the group's name, where the object itself does not say.
INNER = {"person_id": lambda objects: objects[Person].pk}


def url_for(regex: str, obj, objects: dict | None = None, *, missing: bool = False) -> str:
    """Return the route's path for `obj`: a parent's id where the route names one (a group such
    as schedule_id, read from the object), the id of the object of `objects` a further group
    names (INNER), its own id elsewhere; if `missing`, 10**9 for the last id and for every id
    but the parent's."""

    groups = GROUP.findall(regex)

    def value(index: int, name: str) -> int:
        if missing and index == len(groups) - 1:
            return 10**9
        if name.endswith("_id") and hasattr(obj, name):
            return getattr(obj, name)
        if missing:
            return 10**9
        if name in INNER and objects is not None:
            return INNER[name](objects)
        return obj.pk

    values = iter([value(index, name) for index, name in enumerate(groups)])
    return "/" + GROUP.sub(lambda _: str(next(values)), regex).replace("\\", "")


def model_of(view):
    return view.cls.queryset.model


ROUTES = sorted(api_routes())


def test_the_routes_are_found():
    paths = {regex for regex, _ in ROUTES}
    assert "api/v1/oncall/" in paths
    assert any("incidents/(?P<number>" in path and "timeline" in path for path in paths)
    assert len(paths) >= 25


@pytest.mark.parametrize("regex, view", [r for r in ROUTES if GROUP.search(r[0])], ids=str)
def test_every_detail_route_answers_404_for_another_teams_object(worlds, api, regex, view):
    red, blue = worlds
    ours, theirs = objects_of(red), objects_of(blue)
    model = model_of(view)
    assert model in theirs, f"give test_cross_team an object of {model.__name__}"
    # HEAD answers as GET does, without a body.
    methods = [m for m in getattr(view, "actions", {"get": "get"}) if m not in ("options", "head")]
    # The admin last, so that its DELETE of our object (the last method) comes after the rest.
    for client in (api("viewer", "read"), api("admin", "admin")):
        for method in methods:
            own = getattr(client, method)(url_for(regex, ours[model], ours), format="json")
            assert own.status_code != 404, (method, regex)
            other = getattr(client, method)(url_for(regex, theirs[model], theirs), format="json")
            missing = getattr(client, method)(
                url_for(regex, ours[model], ours, missing=True), format="json"
            )
            if own.status_code == 403 and other.json() == own.json() == missing.json():
                continue  # refused the whole route (the audit log to a viewer): nothing told
            assert other.status_code == 404, (method, regex)
            assert (
                other.json()
                == missing.json()
                == {"error": {"code": "not_found", "message": "Not found."}}
            )


@pytest.mark.parametrize("regex, view", [r for r in ROUTES if not GROUP.search(r[0])], ids=str)
def test_no_list_mentions_another_teams_object(worlds, api, regex, view):
    red, blue = worlds
    objects_of(red), objects_of(blue)
    answer = api("admin", "admin").get("/" + regex)
    if regex in POST_ONLY:
        assert answer.status_code == 405
        return
    if regex in SUPERUSERS_ONLY:
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "permission_denied"
        return
    assert answer.status_code == 200
    assert "red" in answer.content.decode().lower()  # something is listed...
    assert "blue" not in answer.content.decode().lower()  # ...and nothing of the other team


def test_sub_lists_mention_only_their_own_teams_objects(worlds, api):
    red, blue = worlds
    ours = objects_of(red)
    objects_of(blue)
    client = api("admin", "admin")
    for regex, view in ROUTES:
        if GROUP.search(regex) and "actions" in dir(view) and regex.count("/") > 4:
            answer = client.get(url_for(regex, ours[model_of(view)], ours))
            assert "blue" not in answer.content.decode().lower(), regex
