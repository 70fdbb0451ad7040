"""The paging path keeps compiled rotas in memory: every change must still be seen at once."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oncall import selectors, services
from oncall.demo import demo_load
from oncall.models import Layer, LayerMember, Person, Schedule

T0 = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)  # a Wednesday: Lisbon covers Primary


@pytest.fixture
def primary(db):
    demo_load()
    return Schedule.objects.get(name="Primary")


def who(schedule, at=T0) -> Person | None:
    return selectors.oncall_at(schedule=schedule, at=at)


def test_asking_again_reads_only_the_version_and_the_person(primary):
    first = who(primary)
    with CaptureQueriesContext(connection) as queries:
        assert who(primary) == first
    assert len(queries) == 2, [q["sql"] for q in queries]


def test_a_new_override_is_seen_by_the_next_question(primary):
    before = who(primary)
    cover = Person.objects.exclude(pk=before.pk).first()
    services.override_create(schedule=primary, person=cover, start=T0, end=T0 + timedelta(hours=1))
    assert who(primary) == cover


def test_a_deleted_override_is_seen_by_the_next_question(primary):
    before = who(primary)
    cover = Person.objects.exclude(pk=before.pk).first()
    override = services.override_create(
        schedule=primary, person=cover, start=T0, end=T0 + timedelta(hours=1)
    )
    assert who(primary) == cover
    override.delete()
    assert who(primary) == before


def test_a_member_replaced_in_the_admin_way_is_seen(primary):
    before = who(primary)
    layer = Layer.objects.filter(schedule=primary, members__person=before).first()
    stand_in = Person.objects.exclude(layer_memberships__layer=layer).first()
    member = LayerMember.objects.get(layer=layer, person=before)
    member.person = stand_in
    member.save()  # a plain save, as the admin does: no service involved
    assert who(primary) == stand_in
    member.delete()
    assert who(primary) not in (stand_in, None)


def test_asking_outside_the_kept_window_fetches_the_overrides_of_that_time(primary):
    who(primary)
    later = T0 + timedelta(days=30)
    cover = Person.objects.first()
    services.override_create(
        schedule=primary, person=cover, start=later, end=later + timedelta(hours=1)
    )
    assert who(primary, later) == cover
