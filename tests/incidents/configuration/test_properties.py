"""Properties of the configuration file over random valid configurations: written and read back
it is the same (no database); applied to an empty database and exported it is the same, applying
it again changes nothing, and a file with one change touches exactly that object (audit log)."""

from __future__ import annotations

import copy
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.configuration import files, normal
from incidents.configuration.apply import config_apply
from incidents.configuration.export import config_export
from incidents.configuration.plan import config_plan
from incidents.models import EscalationPolicy, Integration, MaintenanceWindow, Service
from oncall.models import (
    AuditEntry,
    ContactMethod,
    Layer,
    LayerMember,
    LayerRestriction,
    NotificationRule,
    Override,
    Person,
    Schedule,
    Team,
)

from .strategies import NOW, ZONES, configs, in_zone, words

NAME = "random.yaml"
WITH_DATABASE = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_a_file_written_compact_or_whole_reads_back_to_its_normal_form(config):
    assert normal.load(files.dump(normal.compact(config))).config == config
    assert normal.load(files.dump(config)).config == config


# --- with the database: each example in a transaction of its own, rolled back ----------------


class _RolledBack(Exception):
    pass


@contextmanager
def empty_database():
    """Run the block in a transaction rolled back at its end: the next example starts empty."""
    assert not Team.objects.exists() and not Person.objects.exists()
    try:
        with transaction.atomic():
            yield
            raise _RolledBack
    except _RolledBack:
        pass


def loaded(config: dict):
    return normal.load(files.dump(normal.compact(config)), NAME)


def apply(config: dict):
    return config_apply(
        loaded=loaded(config), prune=False, trust_verified=True, now=NOW, origin=NAME
    )


@pytest.mark.django_db
@WITH_DATABASE
@given(configs())
def test_applied_to_an_empty_database_a_file_is_exported_back_and_applies_as_no_change(config):
    with empty_database():
        assert apply(config).written
        # Instants are compared as instants: the database keeps no offset.
        assert config_export(now=NOW) == config
        for prune in (False, True):
            again = config_plan(loaded=loaded(config), prune=prune, now=NOW)
            assert again.empty, again.text()
        assert not apply(config).written


# --- one change ---------------------------------------------------------------------------------

# The rows that belong to an object, and the field of theirs naming it.
OWN_ROWS = {
    "layer_member": (LayerMember, "layer"),
    "layer_restriction": (LayerRestriction, "layer"),
    "notification_rule": (NotificationRule, "contact_method"),
}


@st.composite
def one_change(draw, config: dict) -> tuple[dict, tuple, str | None]:
    """Return the config with one value of one object changed, which object (its kind and
    natural key), and the field its audit entry names (None: its own rows change)."""
    changed = copy.deepcopy(config)
    options = []  # (object key, the object in `changed`, field, new values, audited field)

    def option(key, thing, field, values, audited: str | None = "") -> None:
        values = values.filter(lambda v, now=thing[field]: v != now)
        options.append((key, thing, field, values, field if audited == "" else audited))

    for team in changed["teams"]:
        key = ("team", team["name"])
        option(key, team, "slack_channel", st.sampled_from(("C0NEW1", "#elsewhere", "")))
        option(key, team, "rest_notice_nights", st.one_of(st.none(), st.integers(1, 7)))
    for person in changed["people"]:
        key = ("person", person["email"])
        option(key, person, "name", words(30), "display_name")
        option(key, person, "time_zone", st.sampled_from(ZONES))
        for method in person["contact_methods"]:
            key = ("contact_method", person["email"], method["kind"], method["address"])
            option(key, method, "label", words(20))
            more = [*method["rules"], {"urgency": "low", "after_minutes": 90}]
            option(key, method, "rules", st.just(more), None)
    for schedule in changed["schedules"]:
        option(("schedule", schedule["name"]), schedule, "description", words(60))
        for index, layer in enumerate(schedule["layers"]):
            key = ("layer", schedule["name"], index)
            option(key, layer, "turn_count", st.integers(4, 9))
            option(key, layer, "name", words())
            later = in_zone(layer["handoff"] + timedelta(days=1), layer["time_zone"])
            option(key, layer, "handoff", st.just(later))
            # Off the strategy's quarter hours, so never one the layer has already.
            early = {"kind": "daily", "weekday": "mon", "start": "06:07", "duration": "01:00"}
            option(key, layer, "restrictions", st.just([*layer["restrictions"], early]), None)
            if len(layer["participants"]) > 1:
                turns = list(reversed(layer["participants"]))
                option(key, layer, "participants", st.just(turns), None)
        for override in schedule["overrides"]:
            key = ("override", schedule["name"], override["person"], override["start"])
            option(key, override, "reason", words(40))
    for policy in changed["escalation_policies"]:
        key = ("escalation_policy", policy["name"])
        option(key, policy, "description", words(60))
        option(key, policy, "repeat", st.integers(4, 9))
    for service in changed["services"]:
        key = ("service", service["name"])
        option(key, service, "description", words(60))
        option(key, service, "ack_timeout_minutes", st.integers(121, 500))
        for window in service["maintenance_windows"]:
            key = ("maintenance_window", service["name"], window["start"], window["end"])
            option(key, window, "reason", st.sampled_from(("moved", "db upgrade")))
        for integration in service["integrations"]:
            key = ("integration", service["name"], integration["kind"], integration["name"])
            option(key, integration, "rate_limit_per_second", st.integers(7, 999))
    # The kind of object first, so that a few examples see every kind (people outnumber them).
    kind = draw(st.sampled_from(sorted({option[0][0] for option in options})))
    key, thing, field, values, audited = draw(
        st.sampled_from([option for option in options if option[0][0] == kind])
    )
    thing[field] = draw(values)
    return normal.ordered(changed), key, audited


def pk_of(key: tuple) -> int:
    """Return the id of the object `key` names (its kind and natural key)."""
    kind, *natural = key
    if kind == "team":
        return Team.objects.get(name=natural[0]).pk
    if kind == "person":
        return Person.objects.get(user__email=natural[0]).pk
    if kind == "contact_method":
        email, method_kind, address = natural
        return ContactMethod.objects.get(
            person__user__email=email, kind=method_kind, address=address
        ).pk
    if kind == "schedule":
        return Schedule.objects.get(name=natural[0]).pk
    if kind == "layer":
        return (
            Layer.objects.filter(schedule__name=natural[0])
            .order_by("position", "id")[natural[1]]
            .pk
        )
    if kind == "override":
        name, email, start = natural
        return Override.objects.get(schedule__name=name, person__user__email=email, start=start).pk
    if kind == "escalation_policy":
        return EscalationPolicy.objects.get(name=natural[0]).pk
    if kind == "service":
        return Service.objects.get(name=natural[0]).pk
    if kind == "maintenance_window":
        name, start, end = natural
        return MaintenanceWindow.objects.get(service__name=name, start=start, end=end).pk
    name, integration_kind, integration_name = natural
    return Integration.objects.get(
        service__name=name, kind=integration_kind, name=integration_name
    ).pk


def owner(entry: AuditEntry) -> tuple[str, int]:
    """Return the object an entry is about: itself, or the object whose own row it is."""
    if entry.object_type not in OWN_ROWS:
        return entry.object_type, int(entry.object_id)
    model, field = OWN_ROWS[entry.object_type]
    parent = model._meta.get_field(field).related_model
    row = model.objects.filter(pk=entry.object_id).values_list(f"{field}_id", flat=True).first()
    if row is None:  # deleted: its values were recorded
        row = entry.changes[field]
    kind = "layer" if parent is Layer else "contact_method"
    return kind, int(row)


@pytest.mark.django_db
@WITH_DATABASE
@given(st.data())
def test_a_file_with_one_change_touches_exactly_that_object(data):
    config = data.draw(configs(), label="config")
    changed, key, audited = data.draw(one_change(config), label="change")
    with empty_database():
        apply(config)
        expected = (key[0], pk_of(key))
        seen = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
        assert apply(changed).written
        entries = list(AuditEntry.objects.filter(pk__gt=seen).order_by("pk"))
        assert entries, "the change was not recorded"
        assert {entry.origin for entry in entries} == {NAME}
        assert {owner(entry) for entry in entries} == {expected}
        if audited is not None:
            assert [(e.action, list(e.changes)) for e in entries] == [("update", [audited])]
        assert config_export(now=NOW) == changed


TWICE = """\
version: 1
teams: [{name: SRE, members: [{person: ana@example.com}]}]
people: [{email: ana@example.com, name: Ana}]
"""
OVERRIDE_TWICE = """\
schedules:
  - name: Primary
    team: SRE
    overrides:
      - {person: ana@example.com, start: "2027-02-01T09:00:00Z", end: "2027-02-01T17:00:00Z"}
      - {person: ana@example.com, start: "2027-02-01T09:00:00Z", end: "2027-02-01T17:00:00Z"}
"""
WINDOW_TWICE = """\
services:
  - name: cdn
    team: SRE
    maintenance_windows:
      - {start: "2027-02-01T09:00:00Z", end: "2027-02-01T10:00:00Z"}
      - {start: "2027-02-01T09:00:00Z", end: "2027-02-01T10:00:00Z", reason: upgrade}
"""


@pytest.mark.parametrize("twice", [OVERRIDE_TWICE, WINDOW_TWICE], ids=["override", "window"])
def test_a_file_with_the_same_span_twice_is_refused_at_the_second(twice):
    # Found by the one-change property: taken, the copy was created again on every apply.
    with pytest.raises(normal.ConfigInvalid) as raised:
        normal.load(TWICE + twice, NAME)
    (problem,) = raised.value.problems
    assert problem.path.endswith("[1]") and "is given twice" in problem.message
