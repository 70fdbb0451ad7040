"""/api/v1/audit/: the audit log for team admins, read-only; and the request as the audit
context (who acts, through which door), whatever authenticated it."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import AsyncClient, RequestFactory
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from oncall.audit.context import RequestActing
from oncall.config.urls import urlpatterns as project_urlpatterns
from oncall.models import AuditEntry, Override, Schedule
from oncall.services import contact_method_create, override_create, team_member_set
from oncall.tokens import api_token_create
from tests.api.conftest import T0

pytestmark = pytest.mark.django_db

LATER = datetime(2040, 1, 1, 9, 0, tzinfo=UTC)
NOT_ADMIN = "You need the admin role in a team to read the audit log."


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def everything(client, **filters) -> list[dict]:
    """Every entry the client may read, following the cursor."""
    answer = client.get("/api/v1/audit/", {"limit": 200, **filters})
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    while answer.json()["next"]:
        answer = client.get(answer.json()["next"])
        results += answer.json()["results"]
    return results


# Who acts: the request


@csrf_exempt
def web_probe(request):
    """Change an override the way a web page would (a test double of a form's view)."""
    _override_touched(request.POST["override"])
    return HttpResponse(status=204)


class ApiProbe(APIView):
    """Change an override the way an API write would (a test double of a route)."""

    def post(self, request):
        _override_touched(request.data["override"])
        return Response(status=204)


def _override_touched(pk) -> None:
    override = Override.objects.get(pk=pk)
    override.reason = f"{override.reason} touched".strip()
    override.save()


urlpatterns = [
    path("api/v1/probe/", ApiProbe.as_view()),
    path("probe/", web_probe),
    *project_urlpatterns,
]


@pytest.fixture
def override(worlds):
    red, _ = worlds
    return override_create(
        schedule=red.schedule, person=red.people["responder"], start=T0, end=T0 + timedelta(hours=1)
    )


@pytest.mark.urls(__name__)
def test_an_api_write_names_the_tokens_person_and_the_tokens_name_never_the_token(worlds, override):
    red, _ = worlds
    user = red.people["admin"].user
    _, secret = api_token_create(user=user, name="provisioning bot", scope="admin", now=T0)
    answer = bearer(secret).post("/api/v1/probe/", {"override": override.pk}, format="json")
    assert answer.status_code == 204

    entry = AuditEntry.objects.first()
    assert (entry.source, entry.actor, entry.actor_user_id, entry.actor_name) == (
        "api",
        "red-admin",
        user.pk,
        "red admin",
    )
    assert entry.token_name == "provisioning bot"
    assert entry.changes == {"reason": ["", "touched"]}
    assert secret not in json.dumps(list(AuditEntry.objects.values()), default=str)


@pytest.mark.urls(__name__)
def test_a_web_write_names_the_signed_in_user_and_no_token(client, worlds, override):
    red, _ = worlds
    client.force_login(red.people["admin"].user)
    assert client.post("/probe/", {"override": override.pk}).status_code == 204
    entry = AuditEntry.objects.first()
    assert (entry.source, entry.actor, entry.token_name) == ("web", "red-admin", "")


@pytest.mark.urls(__name__)
def test_under_asgi_the_view_sees_the_request_as_its_context(worlds, override):
    red, _ = worlds
    _, secret = api_token_create(user=red.people["admin"].user, name="asgi", scope="admin", now=T0)
    answer = async_to_sync(AsyncClient().post)(
        "/api/v1/probe/",
        {"override": override.pk},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert answer.status_code == 204, answer.content
    entry = AuditEntry.objects.first()
    assert (entry.source, entry.actor, entry.token_name) == ("api", "red-admin", "asgi")


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("/api/v1/schedules/1/", "api"),
        ("/admin/oncall/override/1/change/", "admin"),
        ("/slack/interactions/", "slack"),
        ("/twilio/sms/", "sms"),
        ("/twilio/status/", "sms"),
        ("/twilio/voice/7/", "voice"),
        ("/email/abc/", "email"),
        ("/integrations/alertmanager/abc/", "monitoring"),
        ("/v2/enqueue", "monitoring"),
        ("/integrations/", "web"),
        ("/incidents/4/acknowledge/", "web"),
        ("/", "web"),
    ],
)
def test_a_request_is_the_source_its_path_names(path, source):
    assert RequestActing(RequestFactory().get(path)).source == source


# The incident actions


def test_an_acknowledgement_through_the_api_is_recorded_with_actor_and_token_name(worlds, api):
    red, _ = worlds
    _, secret = api_token_create(
        user=red.people["responder"].user, name="pager app", scope="respond", now=T0
    )
    number = red.incident.number
    assert bearer(secret).post(f"/api/v1/incidents/{number}/acknowledge/").status_code == 200

    (entry,) = everything(api("admin"), object_type="incident", object_id=str(number))
    assert {"id", "at", "actor", "source", "action", "object_type", "object_id", "changes"} <= set(
        entry
    )
    assert entry["actor"] == "red-responder" and entry["actor_name"] == "red responder"
    assert (entry["source"], entry["action"], entry["token_name"]) == (
        "api",
        "acknowledge",
        "pager app",
    )
    assert (entry["object_type"], entry["object_id"], entry["team"]) == (
        "incident",
        str(number),
        red.team.pk,
    )
    assert entry["changes"] == {"status": ["triggered", "acknowledged"]}
    assert secret not in json.dumps(list(AuditEntry.objects.values()), default=str)


# Read-only


def test_no_method_changes_or_deletes_an_entry(worlds, api):
    red, _ = worlds
    client = api("admin")
    entry = AuditEntry.objects.filter(team_id=red.team.pk).first()
    count = AuditEntry.objects.count()
    detail = f"/api/v1/audit/{entry.pk}/"
    body = {"action": "delete", "actor": "nobody", "changes": {}}
    for method, url in [
        ("post", "/api/v1/audit/"),
        ("put", "/api/v1/audit/"),
        ("patch", "/api/v1/audit/"),
        ("delete", "/api/v1/audit/"),
        ("post", detail),
        ("put", detail),
        ("patch", detail),
        ("delete", detail),
    ]:
        answer = getattr(client, method)(url, body, format="json")
        assert answer.status_code == 405, (method, url)
        assert answer.json()["error"]["code"] == "method_not_allowed"
    assert AuditEntry.objects.count() == count
    assert client.get(detail).json()["action"] == entry.action == "create"


# Who reads what


def test_an_admin_reads_their_teams_and_members_entries_never_another_teams(worlds, api):
    red, blue = worlds
    viewer = red.people["viewer"]
    team_member_set(team=blue.team, person=viewer, role="viewer")  # a blue membership, of red's
    contact_method_create(person=blue.people["admin"], kind="email", address="blue@b.test")
    members = set(red.team.memberships.values_list("person_id", flat=True))

    seen = everything(api("admin"))
    assert {e["team"] for e in seen} == {red.team.pk, None}
    assert {e["person"] for e in seen if e["team"] is None} <= members
    kinds = {e["object_type"] for e in seen}
    assert {"schedule", "layer_member", "escalation_target", "integration"} <= kinds
    assert {"contact_method", "notification_rule", "person", "api_token"} <= kinds
    assert "blue" not in json.dumps(seen).lower()

    theirs = AuditEntry.objects.filter(team_id=blue.team.pk)
    assert theirs.filter(person_id=viewer.pk, object_type="membership").exists()
    answer = api("admin").get(f"/api/v1/audit/{theirs.first().pk}/")
    assert answer.status_code == 404
    assert answer.json() == {"error": {"code": "not_found", "message": "Not found."}}
    assert everything(api("admin"), team=blue.team.pk) == []
    assert len(everything(api("admin", team="blue"))) > 0


@pytest.mark.parametrize(
    ("role", "scope"),
    [("responder", "admin"), ("viewer", "admin"), ("admin", "read"), ("admin", "respond")],
)
def test_someone_who_is_admin_of_no_team_may_not_read_the_log(worlds, api, role, scope):
    answer = api(role, scope).get("/api/v1/audit/")
    assert answer.status_code == 403
    assert answer.json()["error"] == {"code": "permission_denied", "message": NOT_ADMIN}
    entry = AuditEntry.objects.filter(team_id=worlds[0].team.pk).first()
    assert api(role, scope).get(f"/api/v1/audit/{entry.pk}/").status_code == 403


def test_nobody_unauthenticated_reads_the_log(worlds):
    assert APIClient().get("/api/v1/audit/").status_code == 401


def test_a_superuser_reads_every_team_unless_the_token_is_smaller(worlds):
    red, blue = worlds
    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    _, admin = api_token_create(user=root, name="root", scope="admin", now=T0)
    _, read = api_token_create(user=root, name="root read", scope="read", now=T0)
    teams = {e["team"] for e in everything(bearer(admin))}
    assert {red.team.pk, blue.team.pk, None} <= teams
    assert bearer(read).get("/api/v1/audit/").status_code == 403


# Filters and order


def test_filters_narrow_the_log_newest_first(worlds, api, frozen_now):
    red, _ = worlds
    client, responder = api("admin"), api("responder", "respond")
    frozen_now(LATER)  # after every other entry, stamped by the real clock
    responder.post(f"/api/v1/incidents/{red.incident.number}/acknowledge/")

    members = everything(client, object_type="layer_member", action="create")
    assert len(members) == 2 and {m["changes"]["layer"] for m in members} == {
        red.schedule.layers.get().pk
    }
    (acked,) = everything(client, actor="red-responder", source="api")
    assert acked["action"] == "acknowledge" and acked["at"] == "2040-01-01T09:00:00Z"
    assert everything(client, since="2040-01-01T10:00:00+01:00") == [acked]
    assert acked not in everything(client, until="2040-01-01T09:00:00Z")
    assert everything(client, source="sms,voice") == []

    newest = client.get("/api/v1/audit/", {"limit": 2}).json()
    ids = [e["id"] for e in newest["results"]]
    assert ids == sorted(ids, reverse=True) and ids[0] == acked["id"]
    following = client.get(newest["next"]).json()["results"]
    assert following[0]["id"] < ids[-1]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "2026-11-03T09:00:00"}, "since"),
        ({"source": "telepathy"}, "source"),
        ({"team": "red"}, "team"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(worlds, api, query, field):
    answer = api("admin").get("/api/v1/audit/", query)
    assert answer.status_code == 400
    assert field in answer.json()["error"]["fields"]


def test_a_deleted_objects_history_stays_readable(worlds, api):
    red, _ = worlds
    schedule = Schedule.objects.create(name="red-secondary", team=red.team)
    schedule_id = schedule.pk
    schedule.delete()
    created, deleted = sorted(
        everything(api("admin"), object_type="schedule", object_id=str(schedule_id)),
        key=lambda e: e["id"],
    )
    assert (created["action"], deleted["action"]) == ("create", "delete")
    assert deleted["changes"] == created["changes"]
    assert deleted["changes"]["name"] == "red-secondary" and deleted["team"] == red.team.pk
