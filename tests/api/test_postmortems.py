"""The postmortem API: start one from incidents, edit it from a revision (409 when stale), its
timeline, review and publishing, export, action items and a team's settings, each write
refused below its role or token scope with nothing stored."""

from datetime import UTC, date, datetime

import pytest

from incidents.models import ActionItem, Postmortem, PostmortemEntry, PostmortemSettings
from incidents.services.declare import incident_declare
from incidents.services.postmortems import postmortem_start
from oncall import clock
from oncall.services import person_create
from tests.api.conftest import T0, client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 4, 15, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture
def red(worlds):
    return worlds[0]


@pytest.fixture
def started(red, api):
    answer = api("responder", "respond").post(
        "/api/v1/postmortems/", {"incidents": [red.incident.pk]}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    return answer.json()


def error(answer) -> dict:
    return answer.json()["error"]


# --- Starting one ----------------------------------------------------------------------------


def test_a_responder_starts_a_draft_with_a_drafted_timeline(red, started):
    assert started["status"] == "draft"
    assert started["title"] == f"#{red.incident.pk} red is down"
    assert started["incidents"] == [red.incident.pk]
    assert started["revision"] == 1
    assert [s["heading"] for s in started["sections"]][0] == "Summary"
    kinds = [entry["kind"] for entry in started["timeline"]]
    assert "triggered" in kinds
    assert all(entry["incident"] == red.incident.pk for entry in started["timeline"])
    assert started["timeline"] == sorted(started["timeline"], key=lambda e: e["at"])


def test_a_title_may_be_given(red, api):
    answer = api("responder", "respond").post(
        "/api/v1/postmortems/",
        {"incidents": [red.incident.pk], "title": "The CDN day"},
        format="json",
    )
    assert answer.json()["title"] == "The CDN day"


def test_an_incident_of_another_team_is_refused_as_unknown(worlds, api):
    blue = worlds[1]
    answer = api("admin", "admin").post(
        "/api/v1/postmortems/", {"incidents": [blue.incident.pk]}, format="json"
    )
    assert answer.status_code == 400
    assert list(error(answer)["fields"]) == ["incidents"]
    assert Postmortem.objects.count() == 0


def test_an_incident_already_in_a_postmortem_is_a_conflict(red, api, started):
    again = api("admin", "admin").post(
        "/api/v1/postmortems/", {"incidents": [red.incident.pk]}, format="json"
    )
    assert again.status_code == 409
    assert error(again)["code"] == "incident_in_postmortem"
    assert "already in the postmortem" in error(again)["message"]
    assert Postmortem.objects.count() == 1


def test_incidents_of_two_teams_make_no_postmortem(worlds):
    red, blue = worlds
    boss = person_create(username="boss", display_name="Boss")
    boss.user.is_superuser = True
    boss.user.save()
    answer = client_for(boss, "admin").post(
        "/api/v1/postmortems/", {"incidents": [red.incident.pk, blue.incident.pk]}, format="json"
    )
    assert answer.status_code == 400
    assert "one team" in error(answer)["fields"]["incidents"][0]
    assert Postmortem.objects.count() == 0


@pytest.mark.parametrize("role, scope", [("viewer", "admin"), ("responder", "read")])
def test_starting_needs_the_responder_role_and_scope(red, api, role, scope):
    answer = api(role, scope).post(
        "/api/v1/postmortems/", {"incidents": [red.incident.pk]}, format="json"
    )
    assert answer.status_code == 403
    assert Postmortem.objects.count() == 0


# --- Reading and editing ----------------------------------------------------------------------


def test_the_list_filters_by_team_and_status(red, api, started):
    client = api("viewer", "read")
    assert [p["id"] for p in client.get("/api/v1/postmortems/").json()["results"]] == [
        started["id"]
    ]
    assert client.get("/api/v1/postmortems/?status=published").json()["results"] == []
    assert client.get(f"/api/v1/postmortems/?team={red.team.pk}").json()["results"]
    assert client.get("/api/v1/postmortems/?status=nonsense").status_code == 400


def test_an_edit_from_the_current_revision_saves_and_bumps_it(api, started):
    section = started["sections"][0]
    answer = api("responder", "respond").patch(
        f"/api/v1/postmortems/{started['id']}/",
        {"revision": 1, "title": "CDN outage", "sections": {str(section["id"]): "It broke."}},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["revision"] == 2 and answer.json()["title"] == "CDN outage"
    assert answer.json()["sections"][0]["body"] == "It broke."


def test_an_edit_from_a_stale_revision_is_a_409_naming_the_current_one(api, started):
    client = api("responder", "respond")
    url = f"/api/v1/postmortems/{started['id']}/"
    client.patch(url, {"revision": 1, "title": "First"}, format="json")
    stale = client.patch(url, {"revision": 1, "title": "Second"}, format="json")
    assert stale.status_code == 409
    assert error(stale)["code"] == "stale_revision"
    assert "revision 2" in error(stale)["message"]
    assert Postmortem.objects.get().title == "First"


def test_an_edit_naming_no_section_of_the_postmortem_is_a_400_and_stores_nothing(api, started):
    answer = api("responder", "respond").patch(
        f"/api/v1/postmortems/{started['id']}/",
        {"revision": 1, "title": "New", "sections": {"999999": "x"}},
        format="json",
    )
    assert answer.status_code == 400 and list(error(answer)["fields"]) == ["sections"]
    assert Postmortem.objects.get().revision == 1


def test_a_viewer_reads_but_does_not_edit(api, started):
    client = api("viewer", "admin")
    url = f"/api/v1/postmortems/{started['id']}/"
    assert client.get(url).status_code == 200
    assert client.patch(url, {"revision": 1, "title": "x"}, format="json").status_code == 403
    assert Postmortem.objects.get().revision == 1


# --- The timeline -----------------------------------------------------------------------------


def test_entries_are_added_edited_hidden_and_deleted_by_hand(api, started):
    client = api("responder", "respond")
    base = f"/api/v1/postmortems/{started['id']}/timeline/"
    added = client.post(base, {"at": "2026-11-02T09:05:00-03:00", "text": "Paged CDN"}, "json")
    assert added.status_code == 201 and added.json()["manual"] is True
    entry = added.json()["id"]
    assert client.patch(f"{base}{entry}/", {"text": "Called the CDN"}, "json").json()["text"] == (
        "Called the CDN"
    )
    listed = client.get(base).json()["results"]
    assert [e["text"] for e in listed if e["manual"]] == ["Called the CDN"]
    assert client.delete(f"{base}{entry}/").status_code == 204
    drafted = started["timeline"][0]["id"]
    hidden = client.patch(f"{base}{drafted}/", {"hidden": True}, "json")
    assert hidden.json()["hidden"] is True
    kept = client.delete(f"{base}{drafted}/")
    assert kept.status_code == 409 and error(kept)["code"] == "drafted_entry_kept"
    assert "hidden, not deleted" in error(kept)["message"]
    assert PostmortemEntry.objects.filter(pk=drafted).exists()


def test_editing_a_drafted_entry_marks_it_edited_and_leaves_the_incident_alone(red, api, started):
    drafted = started["timeline"][0]
    answer = api("responder", "respond").patch(
        f"/api/v1/postmortems/{started['id']}/timeline/{drafted['id']}/",
        {"text": "The CDN fell over"},
        format="json",
    )
    assert answer.json()["edited"] is True
    assert "The CDN fell over" not in [e.message for e in red.incident.timeline.all()]


def test_a_naive_instant_is_refused_naming_the_field(api, started):
    answer = api("responder", "respond").post(
        f"/api/v1/postmortems/{started['id']}/timeline/",
        {"at": "2026-11-02T09:05:00", "text": "x"},
        format="json",
    )
    assert answer.status_code == 400 and list(error(answer)["fields"]) == ["at"]


# --- Review and publishing --------------------------------------------------------------------


def test_review_approve_and_publish_then_only_action_items_change(red, api, started):
    author, reviewer = api("responder", "respond"), api("viewer", "respond")
    url = f"/api/v1/postmortems/{started['id']}/"
    reviewers = [red.people["viewer"].pk]
    draft = author.post(f"{url}approve/")  # a draft is not approved
    assert draft.status_code == 409 and error(draft)["code"] == "invalid_transition"
    assert author.post(f"{url}review/", {"reviewers": reviewers}, "json").json()["status"] == (
        "in_review"
    )
    assert author.post(f"{url}approve/").status_code == 403  # not asked to review
    assert author.post(f"{url}publish/").status_code == 403  # not every reviewer approved
    approved = reviewer.post(f"{url}approve/").json()
    assert approved["reviewers"][0]["approved_at"] is not None
    published = author.post(f"{url}publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert published.json()["published_at"] == NOW.isoformat().replace("+00:00", "Z")
    edit = author.patch(url, {"revision": published.json()["revision"], "title": "x"}, "json")
    assert edit.status_code == 409 and error(edit)["code"] == "published"
    item = author.post(
        "/api/v1/action-items/", {"postmortem": started["id"], "title": "Alert on 5xx"}, "json"
    )
    assert item.status_code == 201


def test_a_team_admin_may_publish_before_the_reviewers_approve(red, api, started):
    url = f"/api/v1/postmortems/{started['id']}/"
    api("responder").post(f"{url}review/", {"reviewers": [red.people["viewer"].pk]}, "json")
    assert api("admin", "respond").post(f"{url}publish/").status_code == 403  # token capped
    assert api("admin", "admin").post(f"{url}publish/").json()["status"] == "published"


def test_returned_to_draft_the_approvals_no_longer_count(red, api, started):
    url = f"/api/v1/postmortems/{started['id']}/"
    author = api("responder", "respond")
    author.post(f"{url}review/", {"reviewers": [red.people["viewer"].pk]}, "json")
    api("viewer", "respond").post(f"{url}approve/")
    back = author.post(f"{url}return-to-draft/").json()
    assert back["status"] == "draft" and back["reviewers"][0]["approved_at"] is None


def test_a_reviewer_of_another_team_is_refused_as_unknown(worlds, api, started):
    answer = api("responder").post(
        f"/api/v1/postmortems/{started['id']}/review/",
        {"reviewers": [worlds[1].people["viewer"].pk]},
        format="json",
    )
    assert answer.status_code == 400 and list(error(answer)["fields"]) == ["reviewers"]
    assert Postmortem.objects.get().status == "draft"


def test_the_export_is_markdown(api, started):
    answer = api("viewer", "read").get(f"/api/v1/postmortems/{started['id']}/export.md")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/markdown; charset=utf-8"
    assert answer.content.decode().startswith(f"# {started['title']}\n")
    assert "## Timeline" in answer.content.decode()


# --- Action items -----------------------------------------------------------------------------


def test_action_items_are_added_changed_filtered_and_deleted(red, api, started):
    client = api("responder", "respond")
    owner = red.people["admin"]
    made = client.post(
        "/api/v1/action-items/",
        {
            "postmortem": started["id"],
            "title": "Alert on 5xx",
            "owner": owner.pk,
            "due_on": "2026-11-03",
            "url": "https://tracker.example.com/1",
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    item = made.json()
    assert item["owner"] == {"id": owner.pk, "name": owner.display_name}
    client.post("/api/v1/action-items/", {"postmortem": started["id"], "title": "Later"}, "json")
    overdue = client.get("/api/v1/action-items/?overdue=true").json()["results"]
    assert [i["title"] for i in overdue] == ["Alert on 5xx"]
    mine = client.get(f"/api/v1/action-items/?owner={owner.pk}").json()["results"]
    assert [i["id"] for i in mine] == [item["id"]]
    done = client.patch(f"/api/v1/action-items/{item['id']}/", {"status": "done"}, "json")
    assert done.json()["done_at"] is not None
    assert client.get("/api/v1/action-items/?overdue=true").json()["results"] == []
    assert client.get("/api/v1/action-items/?status=done").json()["results"][0]["id"] == item["id"]
    assert client.delete(f"/api/v1/action-items/{item['id']}/").status_code == 204
    assert not ActionItem.objects.filter(pk=item["id"]).exists()


def test_an_owner_outside_the_team_is_refused(worlds, api, started):
    answer = api("responder").post(
        "/api/v1/action-items/",
        {"postmortem": started["id"], "title": "x", "owner": worlds[1].people["admin"].pk},
        format="json",
    )
    assert answer.status_code == 400 and list(error(answer)["fields"]) == ["owner"]
    assert ActionItem.objects.count() == 0


def test_a_bad_link_is_refused_naming_the_field(api, started):
    answer = api("responder").post(
        "/api/v1/action-items/",
        {"postmortem": started["id"], "title": "x", "url": "javascript:alert(1)"},
        format="json",
    )
    assert answer.status_code == 400 and list(error(answer)["fields"]) == ["url"]


def test_a_published_postmortems_items_are_cancelled_not_deleted(red, api):
    postmortem = postmortem_start(incidents=[red.incident], by=red.people["admin"], now=T0)
    client = api("admin")
    item = client.post(
        "/api/v1/action-items/", {"postmortem": postmortem.pk, "title": "x"}, "json"
    ).json()
    postmortem.status = Postmortem.Status.PUBLISHED
    postmortem.save()
    refused = client.delete(f"/api/v1/action-items/{item['id']}/")
    assert refused.status_code == 409 and "published" in error(refused)["message"]
    cancelled = client.patch(f"/api/v1/action-items/{item['id']}/", {"status": "cancelled"}, "json")
    assert cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize("role, scope", [("viewer", "admin"), ("responder", "read")])
def test_action_items_need_the_responder_role_and_scope(red, api, started, role, scope):
    client = api(role, scope)
    made = client.post(
        "/api/v1/action-items/", {"postmortem": started["id"], "title": "x"}, format="json"
    )
    assert made.status_code == 403
    item = api("responder").post(
        "/api/v1/action-items/", {"postmortem": started["id"], "title": "y"}, format="json"
    )
    url = f"/api/v1/action-items/{item.json()['id']}/"
    assert client.patch(url, {"status": "done"}, format="json").status_code == 403
    assert client.delete(url).status_code == 403
    assert list(ActionItem.objects.values_list("title", "status")) == [("y", "open")]


# --- Settings ---------------------------------------------------------------------------------


def test_team_admins_set_the_template_new_postmortems_start_with(red, api):
    url = f"/api/v1/postmortem-settings/{red.team.pk}/"
    shown = api("viewer", "read").get(url).json()
    assert shown["required_for_critical"] is False and shown["sections"][0]["heading"] == "Summary"
    body = {
        "sections": [{"heading": "What happened", "prompt": ""}, {"heading": "Next"}],
        "required_for_critical": True,
    }
    assert api("responder").put(url, body, format="json").status_code == 403
    assert api("admin", "respond").put(url, body, format="json").status_code == 403
    saved = api("admin", "admin").put(url, body, format="json")
    assert saved.status_code == 200 and saved.json()["required_for_critical"] is True
    incident = incident_declare(service=red.service, title="again", now=T0)
    started = api("responder").post("/api/v1/postmortems/", {"incidents": [incident.pk]}, "json")
    assert [s["heading"] for s in started.json()["sections"]] == ["What happened", "Next"]


def test_two_sections_of_one_heading_are_refused(red, api):
    answer = api("admin").put(
        f"/api/v1/postmortem-settings/{red.team.pk}/",
        {"sections": [{"heading": "A"}, {"heading": "a"}], "required_for_critical": False},
        format="json",
    )
    assert answer.status_code == 400 and list(error(answer)["fields"]) == ["sections"]
    assert not PostmortemSettings.objects.exists()


def test_an_overdue_item_is_counted_in_its_owners_day(red, api, started):
    # Wednesday 15:00 UTC is already Thursday 00:00 in Tokyo.
    tokyo, utc = red.people["admin"], red.people["responder"]
    tokyo.time_zone = "Asia/Tokyo"
    tokyo.save()
    for owner in (tokyo, utc):
        api("responder").post(
            "/api/v1/action-items/",
            {
                "postmortem": started["id"],
                "title": f"Due Wednesday, {owner.time_zone}",
                "owner": owner.pk,
                "due_on": date(2026, 11, 4).isoformat(),
            },
            format="json",
        )
    overdue = api("responder").get("/api/v1/action-items/?overdue=true").json()["results"]
    assert [item["title"] for item in overdue] == ["Due Wednesday, Asia/Tokyo"]


# --- Every write, below its role or scope -----------------------------------------------------


def writes(started: dict, red) -> list[tuple[str, str, dict | None]]:
    """Every write route of a postmortem, with a body that would otherwise be accepted."""
    url = f"/api/v1/postmortems/{started['id']}/"
    entry = started["timeline"][0]["id"]
    return [
        ("patch", url, {"revision": 1, "title": "x"}),
        ("post", f"{url}timeline/", {"at": "2026-11-02T09:00:00Z", "text": "x"}),
        ("patch", f"{url}timeline/{entry}/", {"hidden": True}),
        ("delete", f"{url}timeline/{entry}/", None),
        ("post", f"{url}review/", {"reviewers": [red.people["admin"].pk]}),
        ("post", f"{url}publish/", None),
        ("post", f"{url}return-to-draft/", None),
        ("post", "/api/v1/action-items/", {"postmortem": started["id"], "title": "x"}),
        (
            "put",
            f"/api/v1/postmortem-settings/{red.team.pk}/",
            {"sections": [{"heading": "x"}], "required_for_critical": True},
        ),
    ]


def snapshot() -> tuple:
    postmortem = Postmortem.objects.get()
    return (
        postmortem.revision,
        postmortem.status,
        postmortem.title,
        list(postmortem.entries.values_list("hidden", flat=True)),
        postmortem.reviewers.count(),
        ActionItem.objects.count(),
        PostmortemSettings.objects.count(),
    )


@pytest.mark.parametrize("role, scope", [("viewer", "admin"), ("responder", "read")])
def test_every_write_is_refused_below_its_role_or_scope_and_changes_nothing(
    red, api, started, role, scope
):
    client = api(role, scope)
    before = snapshot()
    for method, url, body in writes(started, red):
        answer = getattr(client, method)(url, body, format="json")
        assert answer.status_code == 403, (method, url, answer.json())
        assert error(answer)["code"] == "permission_denied"
    assert snapshot() == before


def test_reading_one_costs_the_same_queries_however_long_its_timeline(red, api, started):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.services.postmortems import action_item_create, entry_add

    client, url = api("viewer", "read"), f"/api/v1/postmortems/{started['id']}/"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    queries()  # the token's first use is recorded once; not part of reading
    before = queries()
    postmortem = Postmortem.objects.get()
    for n in range(20):
        entry_add(postmortem=postmortem, by=red.people["admin"], now=NOW, at=T0, text=f"{n}")
        action_item_create(
            postmortem=postmortem,
            by=red.people["admin"],
            now=NOW,
            title=f"{n}",
            owner=red.people["responder"],
        )
    assert queries() == before
