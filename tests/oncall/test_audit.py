"""The audit log: every change to the configuration is recorded with who, through what, and what
changed (before and after), whoever makes it (services, the admin, a command, a task); internal
bookkeeping records nothing; no secret reaches it; and nothing changes or deletes an entry."""

import json
import re
from datetime import UTC, datetime, time, timedelta, timezone
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oncall import clock, services
from oncall.audit import audit_context, audit_register
from oncall.channels.recording import sends
from oncall.config.celery import app
from oncall.models import (
    AuditEntry,
    ContactMethod,
    Layer,
    LayerMember,
    LayerRestriction,
    Override,
    Schedule,
    Team,
)
from oncall.models.audit import AppendOnlyError
from oncall.tokens import api_token_create, api_token_revoke
from oncall.verification import verification_check, verification_start

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def red():
    """A team of two admins, Ana and Bia, with a schedule of one layer (with a restriction)."""
    team = Team.objects.create(name="Red", slug="red")
    ana = services.person_create(username="ana", display_name="Ana Lima")
    bia = services.person_create(username="bia", display_name="Bia Souza")
    for person in (ana, bia):
        services.team_member_set(team=team, person=person, role="admin")
    schedule = Schedule.objects.create(name="primary", team=team)
    layer = services.layer_create(
        schedule=schedule,
        name="weekly",
        participants=[ana, bia],
        turn_unit="weeks",
        turn_count=1,
        handoff=T0,
        time_zone="Europe/Lisbon",
        restrictions=[services.RestrictionSpec("daily", time(8), timedelta(hours=8))],
    )
    return SimpleNamespace(team=team, ana=ana, bia=bia, schedule=schedule, layer=layer)


def last_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def recorded_after(mark: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(id__gt=mark).order_by("id"))


def log_text() -> str:
    """Everything the log holds, as one string to search for what must not be in it."""
    return json.dumps(list(AuditEntry.objects.values()), default=str)


# Recording


def test_a_layer_is_recorded_whole_its_members_and_restrictions_in_one_bulk_insert(red):
    team = red.team
    mark = last_id()
    with CaptureQueriesContext(connection) as queries:
        layer = services.layer_create(
            schedule=red.schedule,
            name="follow the sun",
            participants=[red.bia, red.ana],
            turn_unit="days",
            turn_count=1,
            handoff=T0,
            time_zone="Asia/Singapore",
            restrictions=[services.RestrictionSpec("weekly", time(9, 30), timedelta(hours=36), 4)],
        )
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "oncall_auditentry"')]
    assert len(inserts) == 2  # the layer's entry, then one for its members and restriction

    entries = recorded_after(mark)
    assert [(e.action, e.object_type) for e in entries] == [
        ("create", "layer"),
        ("create", "layer_member"),
        ("create", "layer_member"),
        ("create", "layer_restriction"),
    ]
    assert {(e.team_id, e.source, e.actor) for e in entries} == {(team.pk, "shell", "")}
    assert entries[0].object_id == str(layer.pk)
    assert entries[0].changes["handoff"] == "2026-11-02T09:00:00+00:00"
    assert entries[1].changes == {"layer": layer.pk, "person": red.bia.pk, "position": 0}
    assert entries[3].changes == {
        "layer": layer.pk,
        "kind": "weekly",
        "start_weekday": 4,
        "start_time": "09:30:00",
        "duration": 36 * 3600,
    }


def test_a_service_called_from_the_shell_is_recorded_as_the_shell_by_nobody(red):
    mark = last_id()
    override = services.override_create(
        schedule=red.schedule, person=red.bia, start=T0, end=T0 + HOUR, reason="dentist"
    )
    (entry,) = recorded_after(mark)
    assert (entry.source, entry.actor, entry.actor_user_id, entry.token_name) == (
        "shell",
        "",
        None,
        "",
    )
    assert (entry.action, entry.object_type, entry.object_id) == (
        "create",
        "override",
        str(override.pk),
    )
    assert entry.team_id == red.team.pk and entry.person_id is None
    assert entry.object_repr == str(override)
    assert entry.changes["person"] == red.bia.pk
    assert entry.changes["end"] == "2026-11-02T10:00:00+00:00"
    assert entry.changes["reason"] == "dentist"


def test_a_command_names_who_acts_and_the_shell_returns_after(red):
    mark = last_id()
    with audit_context(actor=red.ana.user, source="config"):
        services.override_create(schedule=red.schedule, person=red.bia, start=T0, end=T0 + HOUR)
    services.override_create(schedule=red.schedule, person=red.ana, start=T0, end=T0 + HOUR)
    named, shell = recorded_after(mark)
    assert (named.actor, named.actor_name, named.actor_user_id, named.source) == (
        "ana",
        "Ana Lima",
        red.ana.user.pk,
        "config",
    )
    assert (shell.actor, shell.source) == ("", "shell")


def test_a_celery_task_acts_as_the_engine_and_only_while_it_runs(red):
    @app.task(name="tests.audit_probe")
    def probe():
        services.override_create(schedule=red.schedule, person=red.bia, start=T0, end=T0 + HOUR)

    mark = last_id()
    probe.apply()  # run here, as a worker would, with the task signals
    services.override_create(schedule=red.schedule, person=red.ana, start=T0, end=T0 + HOUR)
    assert [e.source for e in recorded_after(mark)] == ["engine", "shell"]


def test_an_update_records_before_and_after_of_what_changed_and_nothing_else(red):
    layer = Layer.objects.get(pk=red.layer.pk)
    mark = last_id()
    layer.turn_count = 2
    layer.handoff = datetime(2026, 11, 3, 10, 0, tzinfo=timezone(HOUR))  # said in UTC+1
    layer.save()
    layer.save()  # nothing changed: nothing recorded

    (entry,) = recorded_after(mark)
    assert (entry.action, entry.object_type, entry.team_id) == ("update", "layer", red.team.pk)
    assert entry.changes == {
        "turn_count": [1, 2],
        "handoff": ["2026-11-02T09:00:00+00:00", "2026-11-03T09:00:00+00:00"],
    }


def test_an_update_of_a_partly_loaded_or_partly_saved_object_says_what_was_stored(red):
    restriction = LayerRestriction.objects.only("start_time").get(layer=red.layer)
    mark = last_id()
    restriction.duration = timedelta(hours=6)  # was deferred: its stored value is read
    restriction.save()
    layer = Layer.objects.get(pk=red.layer.pk)
    layer.name = "weekly (EU)"
    layer.turn_count = 3
    layer.save(update_fields=["name"])  # turn_count is not saved, so not recorded...
    layer.save()  # ...until it is

    first, second, third = recorded_after(mark)
    assert first.changes == {"duration": [8 * 3600, 6 * 3600]}
    assert second.changes == {"name": ["weekly", "weekly (EU)"]}
    assert third.changes == {"turn_count": [1, 3]}


def test_internal_bookkeeping_and_reads_record_nothing(red, settings, tmp_path):
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "sent.jsonl")
    method = services.contact_method_create(person=red.ana, kind="email", address="ana@red.test")
    mark = last_id()

    list(Schedule.objects.all()), list(LayerMember.objects.all())  # loading writes nothing
    method.quiet_until = T0 + HOUR  # noise control
    method.calls_at = "2026-11-02T09:00:00Z"
    method.save(update_fields=["quiet_until", "calls_at"])
    verification_start(method=method, now=T0)  # a code's digest, expiry and attempts
    schedule = Schedule.objects.get(pk=red.schedule.pk)
    schedule.version += 1  # what the rota's signals bump
    schedule.save()

    assert recorded_after(mark) == []


def test_an_override_records_itself_not_the_schedules_version_bump(red):
    mark = last_id()
    services.override_create(schedule=red.schedule, person=red.ana, start=T0, end=T0 + HOUR)
    assert Schedule.objects.get(pk=red.schedule.pk).version > red.schedule.version
    assert [e.object_type for e in recorded_after(mark)] == ["override"]


def test_a_delete_records_every_row_it_takes_and_the_history_outlives_the_user(red):
    with audit_context(actor=red.ana.user):
        services.override_create(schedule=red.schedule, person=red.bia, start=T0, end=T0 + HOUR)
    mark = last_id()
    Schedule.objects.get(pk=red.schedule.pk).delete()

    deleted = recorded_after(mark)
    assert sorted(e.object_type for e in deleted) == [
        "layer",
        "layer_member",
        "layer_member",
        "layer_restriction",
        "override",
        "schedule",
    ]
    assert {(e.action, e.team_id) for e in deleted} == {("delete", red.team.pk)}
    (gone,) = [e for e in deleted if e.object_type == "schedule"]
    assert gone.object_id == str(red.schedule.pk) and gone.object_repr == "primary"
    assert gone.changes == {
        "name": "primary",
        "team": red.team.pk,
        "time_zone": "UTC",
        "description": "",
    }
    (member,) = [e for e in deleted if e.object_type == "layer_member" and e.changes["position"]]
    assert member.object_repr == "2. Bia Souza"  # named while the rows still existed

    ana_user_id = red.ana.user.pk
    red.ana.user.delete()
    by_ana = AuditEntry.objects.get(object_type="override", action="create")
    assert (by_ana.actor, by_ana.actor_user_id) == ("ana", ana_user_id)
    gone_person = AuditEntry.objects.get(object_type="person", action="delete")
    assert gone_person.person_id == red.ana.pk


def test_tokens_digests_and_codes_never_reach_the_log(red, settings, tmp_path):
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "sent.jsonl")
    token, secret = api_token_create(user=red.ana.user, name="deploy bot", scope="admin", now=T0)
    feed, feed_secret = services.calendar_feed_create(schedule=red.schedule)
    method = services.contact_method_create(person=red.ana, kind="sms", address="+351912345678")
    verification_start(method=method, now=T0)
    code = re.search(r"code is (\d{6})", sends(settings.PLANTAO_RECORDING_PATH)[-1]["body"])[1]
    mark = last_id()
    assert verification_check(method=method, code=code, now=T0 + timedelta(minutes=1))
    api_token_revoke(token=token, now=T0 + HOUR)
    services.calendar_feed_revoke(feed=feed)

    verified, revoked, feed_revoked = recorded_after(mark)
    assert (verified.action, verified.object_type, verified.person_id) == (
        "verify",
        "contact_method",
        red.ana.pk,
    )
    assert verified.changes == {"verified_at": [None, "2026-11-02T09:01:00+00:00"]}
    assert (revoked.action, revoked.object_type, revoked.person_id) == (
        "revoke",
        "api_token",
        red.ana.pk,
    )
    assert revoked.changes == {"revoked_at": [None, "2026-11-02T10:00:00+00:00"]}
    assert (feed_revoked.action, feed_revoked.team_id) == ("revoke", red.team.pk)
    created = AuditEntry.objects.get(object_type="api_token", action="create")
    assert created.changes["name"] == "deploy bot" and "digest" not in created.changes

    text = log_text()
    for never in (secret, token.digest, feed_secret, feed.token_digest, code, "digest"):
        assert never not in text


def test_a_secret_field_cannot_be_registered():
    with pytest.raises(ImproperlyConfigured, match="verification_digest"):
        audit_register(ContactMethod, person="person", include=["verification_digest"])


# The Django admin


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@red.test", "pw")


def test_a_change_through_the_admin_is_recorded_with_source_admin_and_the_user(
    client, red, superuser
):
    override = services.override_create(
        schedule=red.schedule, person=red.bia, start=T0, end=T0 + HOUR
    )
    client.force_login(superuser)
    mark = last_id()
    answer = client.post(
        reverse("admin:oncall_override_change", args=[override.pk]),
        {
            "schedule": red.schedule.pk,
            "person": red.ana.pk,
            "start_0": "2026-11-02",
            "start_1": "09:00:00",
            "end_0": "2026-11-02",
            "end_1": "12:00:00",
            "reason": "swap with Bia",
            "created_by": "",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]

    (entry,) = recorded_after(mark)
    assert (entry.source, entry.actor, entry.actor_user_id, entry.action) == (
        "admin",
        "root",
        superuser.pk,
        "update",
    )
    assert entry.changes == {
        "person": [red.bia.pk, red.ana.pk],
        "end": ["2026-11-02T10:00:00+00:00", "2026-11-02T12:00:00+00:00"],
        "reason": ["", "swap with Bia"],
    }
    assert Override.objects.get(pk=override.pk).person == red.ana


def test_the_admin_lists_filters_and_shows_the_log_but_never_changes_it(client, red, superuser):
    client.force_login(superuser)
    entry = AuditEntry.objects.filter(object_type="layer").first()
    listing = reverse("admin:oncall_auditentry_changelist")
    assert client.get(listing).status_code == 200
    found = client.get(listing, {"source": "shell", "action": "create", "object_type": "layer"})
    assert found.status_code == 200 and "primary / weekly" in found.content.decode()
    assert "primary / weekly" in client.get(listing, {"q": "weekly"}).content.decode()
    change = reverse("admin:oncall_auditentry_change", args=[entry.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()

    assert client.get(reverse("admin:oncall_auditentry_add")).status_code == 403
    assert client.post(change, {"action": "delete", "actor": "nobody"}).status_code == 403
    deleting = reverse("admin:oncall_auditentry_delete", args=[entry.pk])
    assert client.post(deleting, {"post": "yes"}).status_code == 403
    bulk = client.post(listing, {"action": "delete_selected", "_selected_action": [entry.pk]})
    assert bulk.status_code in (200, 302)  # no such action is offered: nothing happens
    assert AuditEntry.objects.get(pk=entry.pk).action == "create"


# Append-only


def test_the_orm_neither_changes_nor_deletes_an_entry(red):
    entry = AuditEntry.objects.filter(object_type="layer").first()
    before = AuditEntry.objects.count()
    entry.action = "delete"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="delete")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_update([entry], ["action"])
    assert AuditEntry.objects.count() == before
    assert AuditEntry.objects.get(pk=entry.pk).action == "create"


def test_postgresql_refuses_raw_sql_that_changes_or_deletes_an_entry(red):
    if connection.vendor != "postgresql":
        pytest.skip(
            "PostgreSQL only: SQLite gets no trigger, because the test runner empties SQLite "
            "tables with DELETE, which the trigger would refuse (PostgreSQL's TRUNCATE passes)"
        )
    entry = AuditEntry.objects.filter(object_type="layer").first()
    for sql in (
        "UPDATE oncall_auditentry SET action = 'delete' WHERE id = %s",
        "DELETE FROM oncall_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "create"


def test_entries_are_stamped_with_the_clock(red, frozen_now):
    frozen_now(T0 + timedelta(days=3))
    services.override_create(schedule=red.schedule, person=red.ana, start=T0, end=T0 + HOUR)
    assert AuditEntry.objects.first().at == clock.now()
