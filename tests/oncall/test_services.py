"""Writes are validated whole: bad input is refused with a clear message and stores nothing."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from oncall import services
from oncall.models import (
    ContactMethod,
    Layer,
    LayerMember,
    NotificationRule,
    Override,
    Person,
    Schedule,
    Team,
)
from oncall.services import RestrictionSpec

MONDAY_9_LISBON = datetime(2027, 1, 4, 9, tzinfo=UTC)


@pytest.fixture
def team(db):
    return Team.objects.create(name="Payments", slug="payments")


@pytest.fixture
def schedule(team):
    return Schedule.objects.create(name="Payments primary", team=team, time_zone="Europe/Lisbon")


@pytest.fixture
def people(team):
    found = [
        services.person_create(username=name.lower(), display_name=name, time_zone="Europe/Lisbon")
        for name in ("Ana", "Bruno", "Carla")
    ]
    for person in found:  # layers and overrides name members of the schedule's team
        services.team_member_set(team=team, person=person)
    return found


def messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def test_person_with_unknown_time_zone_is_refused_and_no_user_is_left(db):
    with pytest.raises(ValidationError) as error:
        services.person_create(username="zed", display_name="Zed", time_zone="Mars/Olympus_Mons")
    assert "Mars/Olympus_Mons is not a known time zone" in messages(error.value)
    assert not get_user_model().objects.filter(username="zed").exists()
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("kind", "address", "problem"),
    [
        ("sms", "912 345 678", "is not a phone number in E.164 form"),
        ("voice", "+0123", "is not a phone number in E.164 form"),
        ("email", "not-an-address", "not-an-address is not an e-mail address"),
        ("slack", "@ana", "is not a Slack member id"),
    ],
)
def test_contact_method_with_a_bad_address_is_refused(people, kind, address, problem):
    with pytest.raises(ValidationError) as error:
        services.contact_method_create(person=people[0], kind=kind, address=address)
    assert problem in messages(error.value)
    assert not ContactMethod.objects.exists()


def test_new_contact_methods_start_unverified(people):
    method = services.contact_method_create(person=people[0], kind="sms", address="+351912345678")
    assert not method.is_verified


def test_notification_rule_cannot_use_someone_elses_contact_method(people):
    theirs = services.contact_method_create(person=people[1], kind="sms", address="+351912345678")
    with pytest.raises(ValidationError, match="belongs to someone else"):
        NotificationRule(person=people[0], contact_method=theirs, delay_minutes=0).full_clean()
    rule = services.notification_rule_create(contact_method=theirs, delay_minutes=0)
    assert rule.person == people[1]


def test_layer_with_no_participants_is_refused(schedule):
    with pytest.raises(ValidationError) as error:
        services.layer_create(
            schedule=schedule,
            name="Empty",
            participants=[],
            turn_unit="weeks",
            turn_count=1,
            handoff=MONDAY_9_LISBON,
            time_zone="Europe/Lisbon",
        )
    assert "A layer needs at least one member" in messages(error.value)
    assert not Layer.objects.exists()


def test_layer_with_unknown_time_zone_is_refused(schedule, people):
    with pytest.raises(ValidationError) as error:
        services.layer_create(
            schedule=schedule,
            name="Weekly",
            participants=people,
            turn_unit="weeks",
            turn_count=1,
            handoff=MONDAY_9_LISBON,
            time_zone="Europe/Lisboa",
        )
    assert "Europe/Lisboa is not a known time zone" in messages(error.value)
    assert not Layer.objects.exists()


def test_layer_with_impossible_restriction_is_refused_and_nothing_is_stored(schedule, people):
    with pytest.raises(ValidationError):
        services.layer_create(
            schedule=schedule,
            name="Days",
            participants=people,
            turn_unit="days",
            turn_count=1,
            handoff=MONDAY_9_LISBON,
            time_zone="Europe/Lisbon",
            restrictions=[RestrictionSpec("daily", time(9), timedelta(hours=25))],
        )
    assert not Layer.objects.exists()
    assert not LayerMember.objects.exists()


def test_layer_with_unknown_restriction_kind_is_refused(schedule, people):
    with pytest.raises(ValidationError) as error:
        services.layer_create(
            schedule=schedule,
            name="Monthly",
            participants=people,
            turn_unit="weeks",
            turn_count=1,
            handoff=MONDAY_9_LISBON,
            time_zone="Europe/Lisbon",
            restrictions=[RestrictionSpec("monthly", time(9), timedelta(hours=8))],
        )
    assert "monthly" in messages(error.value)
    assert not Layer.objects.exists()


def test_layer_with_naive_handoff_is_refused(schedule, people):
    with pytest.raises(ValidationError) as error:
        services.layer_create(
            schedule=schedule,
            name="Naive",
            participants=people,
            turn_unit="weeks",
            turn_count=1,
            handoff=datetime(2027, 1, 4, 9),
            time_zone="Europe/Lisbon",
        )
    assert "Give a time zone" in messages(error.value)


def test_layers_stack_upwards_and_keep_participant_order(schedule, people):
    first = services.layer_create(
        schedule=schedule,
        name="Base",
        participants=people,
        turn_unit="weeks",
        turn_count=1,
        handoff=MONDAY_9_LISBON,
        time_zone="Europe/Lisbon",
    )
    second = services.layer_create(
        schedule=schedule,
        name="Weekends",
        participants=people[::-1],
        turn_unit="days",
        turn_count=2,
        handoff=MONDAY_9_LISBON,
        time_zone="Europe/Lisbon",
    )
    assert second.position > first.position
    assert [m.person for m in second.members.all()] == people[::-1]


def test_override_that_ends_before_it_starts_is_refused(schedule, people):
    with pytest.raises(ValidationError) as error:
        services.override_create(
            schedule=schedule,
            person=people[0],
            start=MONDAY_9_LISBON,
            end=MONDAY_9_LISBON - timedelta(hours=1),
        )
    assert "must end after it starts" in messages(error.value)
    assert not Override.objects.exists()


def test_override_with_naive_times_is_refused(schedule, people):
    with pytest.raises(ValidationError):
        services.override_create(
            schedule=schedule,
            person=people[0],
            start=datetime(2027, 1, 4, 9),
            end=datetime(2027, 1, 4, 10),
        )
    assert not Override.objects.exists()
