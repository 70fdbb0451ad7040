"""The demo organisation, as CONTRACT.md describes it."""

import io
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from incidents.models import Event, Service
from oncall.models import ContactMethod, Layer, NotificationRule, Person, Schedule, Team


def load(**options) -> str:
    out = io.StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def snapshot() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            Person,
            Team,
            Schedule,
            Layer,
            ContactMethod,
            NotificationRule,
            Service,
            Event,
        )
    } | {"layer members": sum(layer.members.count() for layer in Layer.objects.all())}


@pytest.mark.django_db
def test_demo_is_refused_when_debug_is_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        load()
    assert not Person.objects.exists()
    assert "Log in as admin / plantao-demo" in load(force=True)


@pytest.mark.django_db
def test_demo_is_idempotent(settings):
    settings.DEBUG = True
    load()
    first = snapshot()
    load()
    assert snapshot() == first


@pytest.mark.django_db
def test_demo_team_spans_three_continents_with_reachable_people(settings):
    settings.DEBUG = True
    load()
    team = Team.objects.get(name="Platform SRE")
    on_call = Person.objects.filter(layers__schedule__name="Secondary").distinct()
    assert on_call.count() == 17
    assert Counter(on_call.values_list("time_zone", flat=True)) == {
        "America/Sao_Paulo": 6,
        "Europe/Lisbon": 6,
        "Asia/Singapore": 5,
    }
    assert team.manager is not None and team.manager not in on_call
    for person in on_call:
        methods = {m.kind: m for m in person.contact_methods.all()}
        assert set(methods) == {"sms", "voice", "email"}
        assert all(m.is_verified for m in methods.values())
        assert methods["sms"].address.startswith("+1") and methods["sms"].address[5:10] == "55501"
        rules = {
            (r.contact_method.kind, r.delay_minutes, r.urgency)
            for r in person.notification_rules.all()
        }
        assert ("sms", 0, "high") in rules
        assert any(kind == "voice" and delay > 0 for kind, delay, _ in rules)
        assert authenticate(username=person.user.username, password="plantao-demo") is not None
    assert authenticate(username="admin", password="plantao-demo").is_superuser


@pytest.mark.django_db
def test_demo_schedules_and_services(settings):
    settings.DEBUG = True
    load()
    primary = Schedule.objects.get(name="Primary")
    assert [layer.time_zone for layer in primary.layers.all()] == [
        "America/Sao_Paulo",
        "Europe/Lisbon",
        "Asia/Singapore",
    ]
    assert all(layer.turn_unit == "weeks" for layer in primary.layers.all())
    assert set(Service.objects.values_list("name", flat=True)) == {
        "edge",
        "auth",
        "catalog",
        "processing",
        "cdn",
        "playback",
    }


@pytest.mark.django_db
def test_demo_puts_the_champions_final_on_next_saturday_evening_once(settings, frozen_now):
    settings.DEBUG = True
    frozen_now(datetime(2027, 3, 24, 12, 0, tzinfo=UTC))  # a Wednesday; clocks change Sunday
    assert "one event (Champions final, Sat 27 Mar 19:00 Lisbon)" in load()
    load()
    (event,) = Event.objects.all()
    lisbon = ZoneInfo("Europe/Lisbon")
    assert event.starts_at == datetime(2027, 3, 27, 19, 0, tzinfo=lisbon)
    assert event.ends_at == datetime(2027, 3, 27, 23, 30, tzinfo=lisbon)
    assert sorted(event.services.values_list("name", flat=True)) == ["cdn", "edge", "playback"]
    assert list(event.extra_schedules.values_list("name", flat=True)) == ["Secondary"]
