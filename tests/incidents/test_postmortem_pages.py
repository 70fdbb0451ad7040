"""The postmortem pages: starting one from an incident's page or from incident numbers, the list
with the incidents still owing one, the editor read in the viewer's zone, its autosave (409 when
someone else saved first) and its Save button without JavaScript, and who may do what: another
team's postmortem is a 404, a viewer's or a forged POST a 403 that changes nothing."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents.models import Postmortem, PostmortemEntry, PostmortemSettings
from oncall.models import Team

from .conftest import T0
from .postmortems import MINUTE, incident_with_record, sre_member, started
from .test_engine import fire
from .test_web_config import browser, someone

pytestmark = pytest.mark.django_db


@pytest.fixture
def drafted(demo, workers):
    """A postmortem of a critical incident of Platform SRE, and the incident."""
    return started(workers)


def text_of(response) -> str:
    return response.content.decode()


def section_fields(postmortem: Postmortem) -> dict[str, str]:
    return {f"section-{s.pk}": s.body for s in postmortem.sections.all()}


def test_a_responder_starts_a_postmortem_from_the_incident_page_and_lands_on_its_editor(
    demo, workers
):
    incident = incident_with_record(workers)
    responder = browser(sre_member("responder"))
    page = text_of(responder.get(f"/incidents/{incident.number}/"))
    assert "Start postmortem" in page
    response = responder.post("/postmortems/start/", {"incidents": str(incident.number)})
    postmortem = Postmortem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/postmortems/{postmortem.pk}/"
    editor = text_of(responder.get(response["Location"]))
    assert f"#{incident.number} Disk full" in editor and "Summary" in editor
    page = text_of(responder.get(f"/incidents/{incident.number}/"))
    assert "Start postmortem" not in page
    assert f'href="/postmortems/{postmortem.pk}/"' in page


def test_a_viewer_sees_no_start_button_and_a_forged_start_is_refused(demo, workers, sre):
    incident = incident_with_record(workers)
    viewer = browser(someone("pm-viewer", "viewer", sre))
    assert "Start postmortem" not in text_of(viewer.get(f"/incidents/{incident.number}/"))
    response = viewer.post("/postmortems/start/", {"incidents": str(incident.number)})
    assert response.status_code == 403
    assert "Nothing was changed." in text_of(response)
    assert not Postmortem.objects.exists()


def test_a_postmortem_of_several_incidents_starts_from_their_numbers(demo, workers):
    first = incident_with_record(workers)
    second = incident_with_record(workers, service="auth", key="login", at=T0 + 30 * MINUTE)
    client = browser(sre_member("admin"))
    numbers = f"#{first.number}, {second.number}"
    response = client.post("/postmortems/start/", {"incidents": numbers, "title": "Two outages"})
    postmortem = Postmortem.objects.get()
    assert response["Location"] == f"/postmortems/{postmortem.pk}/"
    assert postmortem.title == "Two outages"
    assert sorted(i.number for i in postmortem.incidents.all()) == [first.number, second.number]


def test_unknown_and_foreign_numbers_are_named_in_place_and_nothing_is_started(
    demo, workers, elsewhere
):
    mine = incident_with_record(workers)
    foreign = fire(service="ledger", key="ledger-down")
    client = browser(sre_member("admin"))
    response = client.post(
        "/postmortems/start/", {"incidents": f"{mine.number} {foreign.number} 999"}
    )
    assert response.status_code == 400
    assert f"No incident #{foreign.number}, #999 in your teams." in text_of(response)
    response = client.post("/postmortems/start/", {"incidents": "42x"})
    assert response.status_code == 400
    assert "this is not: 42x" in text_of(response)
    assert not Postmortem.objects.exists()


def test_an_incident_already_in_a_postmortem_is_refused_in_place(drafted):
    postmortem, incident = drafted
    client = browser(sre_member("admin"))
    response = client.post("/postmortems/start/", {"incidents": str(incident.number)})
    assert response.status_code == 400
    assert "is already in the postmortem" in text_of(response)
    assert Postmortem.objects.count() == 1


def test_the_list_shows_the_team_postmortems_by_status_and_the_incidents_owing_one(
    demo, workers, sre
):
    postmortem, _ = started(workers)
    PostmortemSettings.objects.create(team=sre, required_for_critical=True)
    owing = incident_with_record(workers, service="auth", key="login", at=T0 + 30 * MINUTE)
    client = browser(sre_member("responder"))
    page = text_of(client.get("/postmortems/"))
    assert postmortem.title in page and "Draft" in page
    assert f"#{owing.number} Disk full" in page
    assert f'aria-label="Start postmortem of #{owing.number}"' in page
    published = text_of(client.get("/postmortems/", {"status": "published"}))
    assert postmortem.title not in published and "No postmortem matches." in published
    assert client.get("/postmortems/", {"status": "finished"}).status_code == 400


def test_another_team_does_not_see_the_postmortem(drafted):
    postmortem, _ = drafted
    stranger = browser(someone("pm-stranger", "admin", Team.objects.create(name="Payments")))
    assert postmortem.title not in text_of(stranger.get("/postmortems/"))
    assert stranger.get(f"/postmortems/{postmortem.pk}/").status_code == 404
    fields = {"revision": "1", "title": "Mine now"}
    assert stranger.post(f"/postmortems/{postmortem.pk}/autosave/", fields).status_code == 404
    postmortem.refresh_from_db()
    assert postmortem.title != "Mine now"


def test_the_editor_says_each_time_in_the_viewer_zone_with_its_offset_and_in_utc(drafted, sre):
    postmortem, _ = drafted
    reader = browser(someone("pm-reader", "viewer", sre, zone="Asia/Singapore"))
    page = text_of(reader.get(f"/postmortems/{postmortem.pk}/"))
    assert "2027-01-13 18:00:00 (+08:00)" in page  # began, T0 in Singapore
    assert "2027-01-13 10:00:00 UTC" in page
    assert "Time to acknowledge" in page and "2 min" in page
    assert "Time to resolve" in page and "9 min" in page
    entry = postmortem.entries.order_by("at").last()
    assert entry.at.strftime("%Y-%m-%d %H:%M:%S UTC") in page


def test_a_viewer_reads_the_editor_without_controls_and_a_forged_save_changes_nothing(drafted, sre):
    postmortem, _ = drafted
    viewer = browser(someone("pm-viewer", "viewer", sre))
    page = text_of(viewer.get(f"/postmortems/{postmortem.pk}/"))
    assert "<textarea" not in page and "Request review" not in page and "Add entry" not in page
    data = {"revision": "1", "title": "Hacked", **section_fields(postmortem)}
    assert viewer.post(f"/postmortems/{postmortem.pk}/", data).status_code == 403
    answer = viewer.post(f"/postmortems/{postmortem.pk}/autosave/", data)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
    postmortem.refresh_from_db()
    assert postmortem.title != "Hacked" and postmortem.revision == 1


def test_autosave_saves_a_section_and_a_stale_revision_is_a_409_that_keeps_the_newer_text(
    drafted,
):
    postmortem, _ = drafted
    summary = postmortem.sections.get(heading="Summary")
    me, colleague = browser(sre_member("responder")), browser(sre_member("admin"))
    url = f"/postmortems/{postmortem.pk}/autosave/"
    answer = colleague.post(url, {"revision": "1", f"section-{summary.pk}": "Disk filled up."})
    assert answer.status_code == 200
    assert answer.json()["revision"] == 2 and answer.json()["message"].startswith("Saved at ")
    answer = me.post(url, {"revision": "1", f"section-{summary.pk}": "Mine, from revision 1."})
    assert answer.status_code == 409
    assert answer.json()["error"]["message"] == "Someone else changed this postmortem: reload"
    assert answer.json()["current"] == 2
    summary.refresh_from_db()
    assert summary.body == "Disk filled up."


def test_autosave_names_a_section_of_another_postmortem(drafted):
    postmortem, _ = drafted
    answer = browser(sre_member("admin")).post(
        f"/postmortems/{postmortem.pk}/autosave/", {"revision": "1", "section-999999": "x"}
    )
    assert answer.status_code == 400
    assert "section-999999" in answer.json()["error"]["fields"]


def test_the_save_button_saves_title_and_sections_without_javascript(drafted):
    postmortem, _ = drafted
    client = browser(sre_member("responder"))
    page = text_of(client.get(f"/postmortems/{postmortem.pk}/"))
    assert re.search(r'<button[^>]*type="submit">Save</button>', page)
    data = {"revision": "1", "title": "Disk full on edge", **section_fields(postmortem)}
    data[f"section-{postmortem.sections.get(heading='Impact').pk}"] = "Uploads failed for 9 min."
    response = client.post(f"/postmortems/{postmortem.pk}/", data)
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.title == "Disk full on edge" and postmortem.revision == 2
    assert postmortem.sections.get(heading="Impact").body == "Uploads failed for 9 min."
    stale = client.post(f"/postmortems/{postmortem.pk}/", data | {"title": "Older"})
    assert stale.status_code == 409
    assert "Someone else changed this postmortem" in text_of(stale)
    assert 'value="Older"' in text_of(stale)  # what was typed is still there to copy
    postmortem.refresh_from_db()
    assert postmortem.title == "Disk full on edge"


def test_an_empty_title_is_an_error_in_place_and_nothing_is_saved(drafted):
    postmortem, _ = drafted
    data = {"revision": "1", "title": "", **section_fields(postmortem)}
    response = browser(sre_member("admin")).post(f"/postmortems/{postmortem.pk}/", data)
    assert response.status_code == 400
    assert "This field is required." in text_of(response)
    postmortem.refresh_from_db()
    assert postmortem.revision == 1


def test_a_post_without_the_csrf_token_is_refused(drafted):
    postmortem, _ = drafted
    client = Client(enforce_csrf_checks=True)
    client.force_login(sre_member("admin").user)
    fields = {"revision": "1", "title": "No token"}
    assert client.post(f"/postmortems/{postmortem.pk}/autosave/", fields).status_code == 403
    postmortem.refresh_from_db()
    assert postmortem.title != "No token"


def _editor_queries(client, postmortem) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/postmortems/{postmortem.pk}/").status_code == 200
    return len(queries)


def test_the_editor_costs_the_same_queries_with_many_entries_and_items(drafted):
    postmortem, incident = drafted
    client = browser(sre_member("admin"))
    few = _editor_queries(client, postmortem)
    owner = sre_member("responder")
    for n in range(40):
        PostmortemEntry.objects.create(
            postmortem=postmortem,
            at=T0 + n * MINUTE,
            kind="manual",
            text=f"Step {n}",
            incident=incident,
        )
        postmortem.action_items.create(title=f"Fix {n}", owner=owner, created_at=T0, updated_at=T0)
    many = _editor_queries(client, postmortem)
    assert many == few
    assert "Step 39" in text_of(client.get(f"/postmortems/{postmortem.pk}/"))


def test_the_nav_names_postmortems(demo):
    page = text_of(browser(sre_member("responder")).get("/postmortems/"))
    assert re.search(r'<a href="/postmortems/" aria-current="page">Postmortems</a>', page)


def test_the_autosave_answer_is_json_in_the_viewer_zone(drafted, sre):
    postmortem, _ = drafted
    writer = browser(someone("pm-writer", "responder", sre, zone="America/Sao_Paulo"))
    answer = writer.post(f"/postmortems/{postmortem.pk}/autosave/", {"revision": "1", "title": "T"})
    saved = json.loads(answer.content)
    assert saved["saved_at"].endswith("-03:00")


def test_a_reader_sees_the_sections_as_markdown_with_raw_html_as_text(drafted, sre):
    postmortem, _ = drafted
    summary = postmortem.sections.get(heading="Summary")
    body = "**Rolled back** at once. <script>alert(1)</script>"
    browser(sre_member("admin")).post(
        f"/postmortems/{postmortem.pk}/autosave/", {"revision": "1", f"section-{summary.pk}": body}
    )
    page = text_of(
        browser(someone("pm-viewer", "viewer", sre)).get(f"/postmortems/{postmortem.pk}/")
    )
    assert "<strong>Rolled back</strong> at once." in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert f'href="/postmortems/{postmortem.pk}/export.md"' in page
