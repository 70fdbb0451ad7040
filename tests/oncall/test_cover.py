"""Asking for cover: teammates told through the channels, the first taker gets the override,
withdrawal, trades as two linked overrides (both or neither), the API's permissions on the
pages, the audit log, and two takers at once on PostgreSQL."""

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from oncall import demo, selectors, services
from oncall.channels.recording import sends
from oncall.models import AuditEntry, CoverRequest, Override, Person, Schedule, Team
from oncall.services import CoverRefused
from oncall.services import cover as cover_module
from tests.incidents.test_chaos import concurrently

# A Wednesday in March: Lisbon is on UTC, São Paulo three hours behind, Singapore eight ahead.
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def text(response) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def recorded(settings, tmp_path):
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "sent.jsonl")
    return lambda: sends(settings.PLANTAO_RECORDING_PATH)


@pytest.fixture
def worker(monkeypatch, django_capture_on_commit_callbacks):
    """worker() -> a block in which what a commit queues is done at once, as a worker would."""
    from oncall import tasks
    from oncall.config.celery import app

    def send_task(name, args):
        getattr(tasks, name.rsplit(".", 1)[1])(*args)

    monkeypatch.setattr(app, "send_task", send_task)
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def primary(db, frozen_now, recorded) -> Schedule:
    frozen_now(NOW)
    demo.demo_load()
    return Schedule.objects.get(name="Primary")


def next_shifts(schedule: Schedule, count: int = 2):
    """Return the next `count` shifts of different people, starting after now."""
    found = []
    for shift in selectors.shifts_between(schedule=schedule, since=NOW, until=NOW + timedelta(7)):
        if shift.person and shift.start > NOW and shift.person not in [s.person for s in found]:
            found.append(shift)
        if len(found) == count:
            return found
    raise AssertionError("the demo has fewer people on call this week")


def ask(schedule, shift, **extra) -> CoverRequest:
    return services.cover_request_create(
        schedule=schedule, asker=shift.person, start=shift.start, end=shift.end, **extra
    )


def phone_of(person: Person) -> str:
    return person.contact_methods.get(kind="sms").address


# --- Services -----------------------------------------------------------------------------------


def test_asking_tells_every_teammate_who_may_take_it_by_their_first_method(
    primary, recorded, worker
):
    (shift,) = next_shifts(primary, 1)
    with worker():
        request = ask(primary, shift, note="A wedding in Porto")

    sent = recorded()
    takers = Person.objects.filter(
        memberships__team=primary.team, memberships__role__in=["responder", "admin"]
    ).exclude(pk=shift.person.pk)
    told = {line["address"] for line in sent}
    assert {phone_of(p) for p in takers if p.contact_methods.filter(kind="sms").exists()} <= told
    assert phone_of(shift.person) not in told
    body = next(line["body"] for line in sent)
    assert f"{shift.person} asks for cover on Primary" in body and "A wedding in Porto" in body
    assert f"/cover/{request.pk}/" in body
    assert all(line["kind"] == "sms" for line in sent)  # no team channel: none is set


def test_the_team_slack_channel_is_told_when_the_team_has_one(primary, recorded, worker):
    services.team_update(team=primary.team, slack_channel="C0SRE")
    (shift,) = next_shifts(primary, 1)
    with worker():
        ask(primary, shift)
    posted = [line for line in recorded() if line["address"] == "C0SRE"]
    assert len(posted) == 1 and posted[0]["kind"] == "slack"
    assert "asks for cover on Primary" in posted[0]["body"]


def test_the_first_taker_gets_one_override_both_are_told_and_a_later_taker_is_refused(
    primary, recorded, worker
):
    mine, theirs = next_shifts(primary)
    request = ask(primary, mine)
    first, later = theirs.person, Person.objects.get(display_name=demo.MANAGER[0])
    before = len(recorded())

    with worker():
        services.cover_request_take(request=request, taker=first)
    with pytest.raises(CoverRefused, match=f"{first} took this shift already"):
        services.cover_request_take(request=CoverRequest.objects.get(pk=request.pk), taker=later)

    (override,) = Override.objects.filter(schedule=primary)
    assert (override.person, override.start, override.end) == (first, mine.start, mine.end)
    request.refresh_from_db()
    assert request.status == "taken" and request.taken_by == first and request.override == override
    assert selectors.oncall_at(schedule=primary, at=mine.start + timedelta(minutes=1)) == first
    told = {line["address"]: line["body"] for line in recorded()[before:]}
    assert f"{first} takes your Primary shift" in told[phone_of(mine.person)]
    assert f"you are on call for Primary for {mine.person}" in told[phone_of(first)]


def test_a_part_of_a_shift_can_be_asked_for_in_the_asker_s_own_zone(primary):
    (shift,) = next_shifts(primary, 1)
    start = shift.start + timedelta(hours=1)
    request = (
        ask(primary, shift, start=start)
        if False
        else services.cover_request_create(
            schedule=primary, asker=shift.person, start=start, end=shift.end - timedelta(hours=1)
        )
    )
    assert request.start == start


def test_asking_outside_my_shifts_is_refused_and_stores_nothing(primary):
    mine, theirs = next_shifts(primary)
    with pytest.raises(ValidationError) as refused:
        services.cover_request_create(
            schedule=primary, asker=mine.person, start=theirs.start, end=theirs.end
        )
    assert "not on call for Primary all of this time" in str(refused.value.message_dict["start"])
    assert not CoverRequest.objects.exists()


def test_a_withdrawn_request_cannot_be_taken(primary):
    mine, theirs = next_shifts(primary)
    request = ask(primary, mine)
    services.cover_request_withdraw(request=request)
    with pytest.raises(CoverRefused, match="withdrawn"):
        services.cover_request_take(request=request, taker=theirs.person)
    assert not Override.objects.exists()
    assert CoverRequest.objects.get(pk=request.pk).status == "withdrawn"


def test_the_asker_cannot_take_their_own_request(primary):
    (mine,) = next_shifts(primary, 1)
    request = ask(primary, mine)
    with pytest.raises(CoverRefused, match="your own request"):
        services.cover_request_take(request=request, taker=mine.person)


def test_a_trade_gives_two_linked_overrides_and_only_the_named_teammate_takes_it(primary):
    mine, theirs = next_shifts(primary)
    request = ask(
        primary, mine, trade_with=theirs.person, trade_start=theirs.start, trade_end=theirs.end
    )
    manager = Person.objects.get(display_name=demo.MANAGER[0])
    with pytest.raises(CoverRefused, match="only they take it"):
        services.cover_request_take(request=request, taker=manager)

    services.cover_request_take(request=request, taker=theirs.person)

    request.refresh_from_db()
    assert (request.override.person, request.override.start) == (theirs.person, mine.start)
    assert (request.return_override.person, request.return_override.start) == (
        mine.person,
        theirs.start,
    )
    assert Override.objects.count() == 2


def test_a_trade_is_both_overrides_or_neither(primary, monkeypatch):
    mine, theirs = next_shifts(primary)
    request = ask(
        primary, mine, trade_with=theirs.person, trade_start=theirs.start, trade_end=theirs.end
    )
    real, calls = cover_module.override_create, []

    def second_fails(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise ValidationError({"person": "refused for the test"})
        return real(**kwargs)

    monkeypatch.setattr(cover_module, "override_create", second_fails)
    with pytest.raises(ValidationError):
        services.cover_request_take(request=request, taker=theirs.person)

    assert len(calls) == 2 and not Override.objects.exists()
    assert CoverRequest.objects.get(pk=request.pk).status == "open"  # still takeable


def test_the_audit_log_records_the_request_and_who_took_it(primary):
    mine, theirs = next_shifts(primary)
    request = ask(primary, mine)
    services.cover_request_take(request=request, taker=theirs.person)
    entries = AuditEntry.objects.filter(object_type="cover_request", object_id=str(request.pk))
    assert list(entries.order_by("pk").values_list("action", flat=True)) == ["create", "update"]
    update = entries.get(action="update")
    assert update.changes["status"] == ["open", "taken"] and update.team_id == primary.team_id
    assert AuditEntry.objects.filter(object_type="override", action="create").count() == 1


# --- Pages --------------------------------------------------------------------------------------


def local(at: datetime, person: Person) -> str:
    return at.astimezone(ZoneInfo(person.time_zone)).strftime("%Y-%m-%dT%H:%M")


def test_asking_from_the_page_reads_times_in_my_zone_and_the_request_page_offers_take(
    client, primary
):
    mine, theirs = next_shifts(primary)
    client.force_login(mine.person.user)
    detail = client.get(reverse("oncall:schedule-detail", args=[primary.pk]) + "?view=week")
    assert "Ask for cover" in text(detail)

    url = reverse("oncall:cover-ask", args=[primary.pk])
    response = client.post(
        url,
        {"start": local(mine.start, mine.person), "end": local(mine.end, mine.person), "note": ""},
    )
    request = CoverRequest.objects.get()
    assert response.status_code == 302 and response.url == f"/cover/{request.pk}/"
    assert (request.start, request.end) == (mine.start, mine.end)
    page = text(client.get(response.url))
    assert "Withdraw" in page and "Take this shift" not in page

    client.force_login(theirs.person.user)
    page = text(client.get(response.url))
    assert "Take this shift" in page and "Withdraw" not in page
    taken = client.post(reverse("oncall:cover-take", args=[request.pk]), follow=True)
    assert f"Taken by {theirs.person}" in text(taken)
    assert Override.objects.get().person == theirs.person


def test_a_trade_asked_from_the_page_is_offered_to_the_named_teammate_only(client, primary):
    mine, theirs = next_shifts(primary)
    client.force_login(mine.person.user)
    response = client.post(
        reverse("oncall:cover-ask", args=[primary.pk]),
        {
            "start": local(mine.start, mine.person),
            "end": local(mine.end, mine.person),
            "trade_with": theirs.person.pk,
            "trade_start": local(theirs.start, mine.person),
            "trade_end": local(theirs.end, mine.person),
        },
    )
    request = CoverRequest.objects.get()
    assert response.status_code == 302 and request.trade_with == theirs.person
    assert (request.trade_start, request.trade_end) == (theirs.start, theirs.end)

    manager = Person.objects.get(display_name=demo.MANAGER[0])
    client.force_login(manager.user)
    page = text(client.get(reverse("oncall:cover-detail", args=[request.pk])))
    assert f"covers {theirs.person}" in page and "Take this shift" not in page
    client.force_login(theirs.person.user)
    client.post(reverse("oncall:cover-take", args=[request.pk]))
    assert Override.objects.count() == 2


def test_withdrawing_from_the_page_is_the_asker_s_alone(client, primary):
    mine, theirs = next_shifts(primary)
    request = ask(primary, mine)
    client.force_login(theirs.person.user)
    assert client.post(reverse("oncall:cover-withdraw", args=[request.pk])).status_code == 403
    client.force_login(mine.person.user)
    page = client.post(reverse("oncall:cover-withdraw", args=[request.pk]), follow=True)
    assert "Withdrawn: nobody can take it." in text(page)
    client.force_login(theirs.person.user)
    refused = client.post(reverse("oncall:cover-take", args=[request.pk]))
    assert refused.status_code == 409 and "This request was withdrawn." in text(refused)
    assert not Override.objects.exists()


def test_a_request_outside_my_shift_shows_the_error_in_place(client, primary):
    mine, theirs = next_shifts(primary)
    client.force_login(mine.person.user)
    response = client.post(
        reverse("oncall:cover-ask", args=[primary.pk]),
        {"start": local(theirs.start, mine.person), "end": local(theirs.end, mine.person)},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["start"]
    assert not CoverRequest.objects.exists()


def test_a_viewer_gets_no_controls_and_a_403_and_another_team_a_404(client, primary):
    mine, _ = next_shifts(primary)
    request = ask(primary, mine)
    viewer = services.person_create(
        username="test-vera", display_name="Vera", password="pw-x", team=primary.team, role="viewer"
    )
    client.force_login(viewer.user)
    page = client.get(reverse("oncall:cover-detail", args=[request.pk]))
    assert page.status_code == 200 and "Take this shift" not in text(page)
    assert client.post(reverse("oncall:cover-take", args=[request.pk])).status_code == 403
    assert client.post(reverse("oncall:cover-withdraw", args=[request.pk])).status_code == 403
    assert client.get(reverse("oncall:cover-ask", args=[primary.pk])).status_code == 403
    assert client.post(reverse("oncall:cover-ask", args=[primary.pk])).status_code == 403

    other = Team.objects.create(name="Elsewhere", slug="elsewhere")
    stranger = services.person_create(
        username="test-sam", display_name="Sam", password="pw-x", team=other, role="admin"
    )
    client.force_login(stranger.user)
    for name in ("cover-detail", "cover-take", "cover-withdraw"):
        method = client.get if name == "cover-detail" else client.post
        assert method(reverse(f"oncall:{name}", args=[request.pk])).status_code == 404
    assert "Cover for" not in text(client.get(reverse("oncall:cover-list")))
    assert CoverRequest.objects.get().status == "open"


def test_an_untaken_request_within_48_hours_is_a_coming_gap_on_the_schedule_and_cover_pages(
    client, primary
):
    (mine,) = next_shifts(primary, 1)
    assert mine.start < NOW + timedelta(hours=48)
    request = ask(primary, mine)
    manager = Person.objects.get(display_name=demo.MANAGER[0])
    client.force_login(manager.user)
    schedule_page = text(client.get(reverse("oncall:schedule-detail", args=[primary.pk])))
    assert "Coming gaps" in schedule_page and f"{mine.person} asks for cover" in schedule_page
    listing = text(client.get(reverse("oncall:cover-list")))
    assert "1 coming gap" in listing and f"{mine.person} asks for cover on Primary" in listing

    services.cover_request_withdraw(request=request)
    assert "Coming gaps" not in text(
        client.get(reverse("oncall:schedule-detail", args=[primary.pk]))
    )


# --- Two takers at once -------------------------------------------------------------------------


@pytest.fixture
def committed(transactional_db, frozen_now, recorded):
    frozen_now(NOW)
    demo.demo_load()
    return Schedule.objects.get(name="Primary")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lets one writer in at a time, so two takers cannot race there; "
    "set DATABASE_URL=postgres://... to run it",
)
def test_two_takers_at_once_give_one_override(committed):
    """Eight teammates press "Take this shift" at once, each on a connection of its own."""
    mine, _ = next_shifts(committed)
    request = ask(committed, mine)
    takers = list(
        Person.objects.filter(memberships__team=committed.team, memberships__role="responder")
        .exclude(pk=mine.person.pk)
        .order_by("pk")[:8]
    )
    won, refused = [], []

    def take(n):
        try:
            services.cover_request_take(
                request=CoverRequest.objects.get(pk=request.pk), taker=takers[n]
            )
            won.append(takers[n])
        except CoverRefused:
            refused.append(takers[n])

    concurrently(take, threads=len(takers))
    assert len(won) == 1 and len(refused) == len(takers) - 1
    (override,) = Override.objects.filter(schedule=committed)
    assert override.person == won[0] == CoverRequest.objects.get(pk=request.pk).taken_by
