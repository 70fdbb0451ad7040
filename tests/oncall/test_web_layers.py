"""Editing a schedule's layers from its page: the form keeps what was typed through add, move
and remove; Preview draws the final schedule with the edited layer and writes nothing; Save goes
through the layer services whole, errors in place; the API's permissions."""

import html
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from oncall import demo, selectors, services
from oncall.models import (
    AuditEntry,
    Layer,
    LayerMember,
    LayerRestriction,
    Person,
    Schedule,
    Team,
)
from oncall.web import layout

pytestmark = pytest.mark.django_db

# A Wednesday in March, Lisbon on UTC: week 8 of the demo's rotations, counted from Monday
# 5 January. Of Lisbon's six, Marta Ferreira (8 mod 6 = 2) is on call at 10:30.
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def text(response) -> str:
    page = response.content.decode()
    page = re.sub(r"<(script|style|datalist)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def primary(frozen_now) -> Schedule:
    frozen_now(NOW)
    demo.demo_load()
    return Schedule.objects.get(name="Primary")


@pytest.fixture
def lisbon(primary) -> Layer:
    return primary.layers.get(name="Lisbon")


def member(username: str, role: str, *, team="Platform SRE", time_zone="America/Sao_Paulo"):
    return services.person_create(
        username=username,
        display_name=username.removeprefix("test-").title(),
        password="pw-not-the-demo",
        time_zone=time_zone,
        team=Team.objects.get(name=team),
        role=role,
    )


@pytest.fixture
def boss(client, primary) -> Person:
    """An admin of Platform SRE who reads times in São Paulo (three hours behind Lisbon)."""
    person = member("test-boss", "admin")
    client.force_login(person.user)
    return person


def edit_url(layer: Layer) -> str:
    return reverse("oncall:schedule-layer-edit", args=[layer.schedule_id, layer.pk])


def new_url(schedule: Schedule) -> str:
    return reverse("oncall:schedule-layer-new", args=[schedule.pk])


def posted(layer: Layer, *, people=None, do="preview", **changes) -> dict:
    """The edit form as the page sends it for `layer`, the handoff on São Paulo's clock."""
    people = [m.person for m in layer.members.all()] if people is None else people
    rows = [
        {
            "r-kind": r.kind,
            "r-start_weekday": "0",
            "r-start_time": f"{r.start_time:%H:%M}",
            "r-end_weekday": "0",
            "r-end_time": f"{(datetime.combine(NOW.date(), r.start_time) + r.duration):%H:%M}",
        }
        for r in layer.restrictions.all()
    ]
    data = {
        "name": layer.name,
        "turn_count": str(layer.turn_count),
        "turn_unit": layer.turn_unit,
        "handoff": layout.local_input(layer.handoff, SAO_PAULO),
        "time_zone": layer.time_zone,
        "participants": [str(p.pk) for p in people],
        "do": do,
    }
    for key in rows[0] if rows else ():
        data[key] = [row[key] for row in rows]
    return data | changes


def stored(schedule: Schedule) -> tuple:
    """Everything a save would change, to compare before and after."""
    schedule.refresh_from_db()
    layers = list(Layer.objects.filter(schedule=schedule).values().order_by("pk"))
    members = list(LayerMember.objects.filter(layer__schedule=schedule).values().order_by("pk"))
    windows = list(
        LayerRestriction.objects.filter(layer__schedule=schedule).values().order_by("pk")
    )
    return schedule.version, layers, members, windows, AuditEntry.objects.count()


def helena() -> Person:
    return Person.objects.get(display_name="Helena Duarte")


def with_helena_second(layer: Layer) -> list[Person]:
    people = [m.person for m in layer.members.all()]
    return [people[0], helena(), *people[1:]]


# --- The page -----------------------------------------------------------------------------------


def test_the_schedule_page_links_an_admin_to_edit_and_add_layers(client, boss, primary, lisbon):
    page = client.get(reverse("oncall:schedule-detail", args=[primary.pk])).content.decode()
    assert edit_url(lisbon) in page
    assert new_url(primary) in page


def test_the_edit_page_shows_the_layer_in_turn_order_and_the_handoff_on_my_clock(
    client, boss, lisbon
):
    response = client.get(edit_url(lisbon))
    assert response.status_code == 200
    page = text(response)
    names = [m.person.display_name for m in lisbon.members.all()]
    assert [page.index(name) for name in names] == sorted(page.index(name) for name in names)
    # 08:00 in Lisbon on 5 January is 05:00 in São Paulo, and the page says which clock.
    assert 'value="2026-01-05T05:00"' in response.content.decode()
    assert "Read in America/Sao_Paulo (UTC-03:00 now)" in page
    assert 'value="Europe/Lisbon"' in response.content.decode()
    form = response.context["rows"][0]
    assert form.initial["start_time"] == "08:00" and form.initial["end_time"] == "16:00"


def test_adding_moving_and_removing_members_keeps_the_draft_and_saves_nothing(
    client, boss, primary, lisbon
):
    before = stored(primary)
    data = posted(lisbon, do="add-member", add_person=str(helena().pk), name="Lisbon days")
    response = client.post(edit_url(lisbon), data)
    assert response.status_code == 200
    assert [p.display_name for p in response.context["participants"]][-1] == "Helena Duarte"
    assert response.context["form"]["name"].value() == "Lisbon days"  # what was typed is kept

    people = [m.person for m in lisbon.members.all()] + [helena()]
    response = client.post(edit_url(lisbon), posted(lisbon, people=people, do="up:6"))
    assert [p.display_name for p in response.context["participants"]][5:] == [
        "Helena Duarte",
        "Tiago Costa",
    ]
    response = client.post(edit_url(lisbon), posted(lisbon, people=people, do="remove-member:0"))
    assert "Inês Carvalho" not in [p.display_name for p in response.context["participants"]]
    response = client.post(edit_url(lisbon), posted(lisbon, do="add-restriction"))
    assert len(response.context["rows"]) == 2
    response = client.post(edit_url(lisbon), posted(lisbon, do="remove-restriction:0"))
    assert response.context["rows"] == []
    assert stored(primary) == before


# --- Preview ------------------------------------------------------------------------------------


def test_preview_shows_the_schedule_with_the_edited_layer_and_writes_nothing(
    client, boss, primary, lisbon
):
    before = stored(primary)
    response = client.post(edit_url(lisbon), posted(lisbon, people=with_helena_second(lisbon)))
    assert response.status_code == 200
    preview = response.context["preview"]
    now = [b.shift.person for b in preview["preview"] if b.shift.start <= NOW < b.shift.end]
    assert now == [helena()]
    was = [b.shift.person for b in preview["current"] if b.shift.start <= NOW < b.shift.end]
    assert [p.display_name for p in was] == ["Marta Ferreira"]
    assert preview["changed"]
    # Wednesday 4 March 08:00-16:00 (05:00-13:00 in São Paulo): Helena, where Marta was.
    assert any(
        block.shift.person == helena()
        and when.startswith("Wed 4 Mar 05:00")
        and instead == "Marta Ferreira"
        for block, when, instead in preview["changes"]
    )
    page = text(response)
    assert "Final schedule with your changes" in page
    assert "Nothing is saved until you press Save layer" in page
    assert stored(primary) == before  # nothing written, the version unchanged
    assert selectors.oncall_at(schedule=primary, at=NOW).display_name == "Marta Ferreira"


def test_preview_keeps_what_the_form_does_not_edit(client, boss, primary, lisbon):
    """A layer active until Friday previews as active until Friday, as it would save."""
    services.layer_update(layer=lisbon, active_until=datetime(2026, 3, 6, tzinfo=UTC))
    response = client.post(edit_url(lisbon), posted(lisbon, people=with_helena_second(lisbon)))
    turns = response.context["preview"]["layer"]
    assert turns and max(block.shift.end for block in turns) <= datetime(2026, 3, 6, tzinfo=UTC)


def test_preview_by_htmx_answers_the_editor_alone(client, boss, primary, lisbon):
    before = stored(primary)
    response = client.post(
        edit_url(lisbon),
        posted(lisbon, people=with_helena_second(lisbon)),
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="layer-editor"') and "<html" not in page
    assert "Final schedule with your changes" in page
    assert stored(primary) == before


def test_preview_of_a_new_layer_puts_it_on_top(client, boss, primary, lisbon):
    before = stored(primary)
    data = posted(lisbon, people=[helena()], name="Helena all day")
    del data["r-kind"], data["r-start_time"], data["r-end_time"]
    response = client.post(new_url(primary), data)
    preview = response.context["preview"]
    assert {b.shift.person for b in preview["preview"]} == {helena()}  # on top, all the time
    assert stored(primary) == before


# --- Save ---------------------------------------------------------------------------------------


def test_save_changes_who_is_on_call(client, boss, primary, lisbon):
    version = stored(primary)[0]
    handoff = lisbon.handoff
    response = client.post(
        edit_url(lisbon), posted(lisbon, people=with_helena_second(lisbon), do="save")
    )
    assert response.status_code == 302
    assert response.url == reverse("oncall:schedule-detail", args=[primary.pk])
    lisbon.refresh_from_db()
    assert [m.person for m in lisbon.members.all()][:2] == [
        Person.objects.get(display_name="Inês Carvalho"),
        helena(),
    ]
    assert lisbon.handoff == handoff  # São Paulo's 05:00 read back as Lisbon's 08:00
    assert lisbon.restrictions.count() == 1
    assert selectors.oncall_at(schedule=primary, at=NOW) == helena()
    assert stored(primary)[0] > version
    page = text(client.get(response.url))
    assert "Layer saved: Lisbon" in page


def test_save_by_htmx_redirects_the_page(client, boss, primary, lisbon):
    response = client.post(
        edit_url(lisbon),
        posted(lisbon, people=with_helena_second(lisbon), do="save"),
        headers={"HX-Request": "true"},
    )
    assert response["HX-Redirect"] == reverse("oncall:schedule-detail", args=[primary.pk])


def test_add_layer_puts_it_on_top_and_delete_layer_removes_it(client, boss, primary, lisbon):
    data = posted(lisbon, people=[helena()], name="Helena all day", do="save")
    del data["r-kind"], data["r-start_time"], data["r-end_time"]
    assert client.post(new_url(primary), data).status_code == 302
    added = primary.layers.get(name="Helena all day")
    assert added.position == 3
    assert selectors.oncall_at(schedule=primary, at=NOW) == helena()

    delete = reverse("oncall:schedule-layer-delete", args=[primary.pk, added.pk])
    asked = client.get(delete)  # a page that asks first
    assert "Delete layer Helena all day?" in text(asked) and "Helena Duarte" in text(asked)
    assert primary.layers.filter(name="Helena all day").exists()
    assert client.post(delete).status_code == 302
    assert not primary.layers.filter(name="Helena all day").exists()
    assert selectors.oncall_at(schedule=primary, at=NOW).display_name == "Marta Ferreira"


# --- Errors in place ----------------------------------------------------------------------------


@pytest.mark.parametrize("do", ["save", "preview"])
def test_a_layer_without_members_is_refused_in_place(client, boss, primary, lisbon, do):
    before = stored(primary)
    response = client.post(edit_url(lisbon), posted(lisbon, people=[], do=do))
    assert response.status_code == 400
    assert response.context["participant_errors"] == ["A layer needs at least one member."]
    assert response.context["preview"] is None
    assert "Nothing was saved" in text(response)
    assert stored(primary) == before


@pytest.mark.parametrize("do", ["save", "preview"])
def test_a_restriction_ending_at_its_start_is_refused_on_its_row(client, boss, primary, lisbon, do):
    before = stored(primary)
    response = client.post(edit_url(lisbon), posted(lisbon, do=do, **{"r-end_time": ["08:00"]}))
    assert response.status_code == 400
    row = response.context["rows"][0]
    assert row.non_field_errors() == ["Restriction end must differ from its start."]
    assert stored(primary) == before


def test_someone_outside_the_team_is_named(client, primary, lisbon):
    """A superuser sees everyone; the service names who is not in the team."""
    other = Team.objects.create(name="Other", slug="other")
    outsider = member("test-outsider", "responder", team="Other")
    admin = Person.objects.get(user__username="admin")
    client.force_login(admin.user)
    before = stored(primary)
    people = [m.person for m in lisbon.members.all()] + [outsider]
    response = client.post(edit_url(lisbon), posted(lisbon, people=people, do="save"))
    assert response.status_code == 400
    assert response.context["participant_errors"] == ["Outsider is not a member of the team."]
    assert stored(primary) == before
    assert other.pk


def test_bad_fields_are_refused_in_place(client, boss, primary, lisbon):
    before = stored(primary)
    response = client.post(
        edit_url(lisbon),
        posted(lisbon, do="save", turn_count="0", time_zone="Mars/Olympus", handoff="soon"),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"turn_count", "time_zone", "handoff"}
    assert stored(primary) == before


def test_a_handoff_lisbon_skips_is_refused(client, primary, lisbon):
    person = member("test-lisboeta", "admin", time_zone="Europe/Lisbon")
    client.force_login(person.user)
    response = client.post(edit_url(lisbon), posted(lisbon, do="save", handoff="2026-03-29T01:30"))
    assert response.status_code == 400
    assert "handoff" in response.context["form"].errors


# --- Permissions --------------------------------------------------------------------------------


def test_another_teams_schedule_is_not_found(client, primary, lisbon):
    Team.objects.create(name="Other", slug="other")
    stranger = member("test-stranger", "admin", team="Other")
    client.force_login(stranger.user)
    before = stored(primary)
    assert client.get(edit_url(lisbon)).status_code == 404
    assert client.get(new_url(primary)).status_code == 404
    assert client.post(edit_url(lisbon), posted(lisbon, do="save")).status_code == 404
    delete = reverse("oncall:schedule-layer-delete", args=[primary.pk, lisbon.pk])
    assert client.get(delete).status_code == 404
    assert client.post(delete).status_code == 404
    assert stored(primary) == before


@pytest.mark.parametrize("role", ["responder", "viewer"])
def test_below_admin_there_are_no_controls_and_a_403(client, primary, lisbon, role):
    person = member(f"test-{role}", role)
    client.force_login(person.user)
    before = stored(primary)
    page = client.get(reverse("oncall:schedule-detail", args=[primary.pk])).content.decode()
    assert edit_url(lisbon) not in page and new_url(primary) not in page
    assert client.get(edit_url(lisbon)).status_code == 403
    assert client.post(edit_url(lisbon), posted(lisbon, do="save")).status_code == 403
    assert client.post(edit_url(lisbon), posted(lisbon)).status_code == 403
    assert client.post(new_url(primary), posted(lisbon, do="save")).status_code == 403
    delete = reverse("oncall:schedule-layer-delete", args=[primary.pk, lisbon.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete).status_code == 403
    assert stored(primary) == before
