"""The demo's configuration round trip: exported, applied into an empty database, exported again
gives the same file, and who is on call is the same at 1,000 random instants of the next year."""

import io
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from incidents.demo import demo_load
from oncall import selectors
from oncall.models import Person, Schedule, Team

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)


def export() -> str:
    out = io.StringIO()
    call_command("config", "export", stdout=out)
    return out.getvalue()


def who(instants: list[datetime]) -> list[list[tuple]]:
    """Return, at each instant, who is on call for each schedule (`oncall_people_at`, the
    paging question), by schedule name and e-mail: ids differ between the two databases."""
    names = dict(Schedule.objects.values_list("pk", "name"))
    emails = dict(Person.objects.values_list("pk", "user__email"))
    answers = []
    for at in instants:
        people = selectors.oncall_people_at(at=at, schedule_ids=names)
        answers.append(sorted((names[pk], p and emails[p.pk]) for pk, p in people.items()))
    return answers


def board(instants: list[datetime]) -> list[list[tuple]]:
    """Return what `manage.py oncall who` says at each instant: who, until when, who next."""

    def email(person):
        return person.user.email if person is not None else None

    return [
        [
            (a.schedule.name, email(a.person), a.until, email(a.next_person), a.next_start)
            for a in selectors.oncall_summary(at=at, schedules=Schedule.objects.order_by("name"))
        ]
        for at in instants
    ]


def empty_database() -> None:
    """Delete every row, as `manage.py flush` does, inside the test's transaction."""
    if connection.vendor == "postgresql":  # TRUNCATE waits for no deferred foreign-key check
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)


def test_the_demo_exported_applied_to_an_empty_database_and_exported_again_is_the_same(
    frozen_now, tmp_path
):
    frozen_now(NOW)
    demo_load()
    first = export()
    year = int(timedelta(days=365).total_seconds())
    draw = random.Random(22)
    instants = sorted(NOW + timedelta(seconds=draw.randrange(year)) for _ in range(1000))
    before, before_board = who(instants), board(instants[::20])
    assert {name for answer in before for name, _ in answer} == {"Primary", "Secondary"}
    assert sum(1 for answer in before for _, email in answer if email) > 1000  # not all gaps

    empty_database()
    selectors.rotas_forget()  # ids are used again in an emptied SQLite database
    assert not Team.objects.exists() and not Person.objects.exists()
    file = tmp_path / "plantao.yaml"
    file.write_text(first)
    out = io.StringIO()
    call_command("config", "apply", str(file), "--trust-verified", stdout=out)
    assert "Applied plantao.yaml" in out.getvalue()

    assert export() == first
    assert who(instants) == before
    assert board(instants[::20]) == before_board
    again = io.StringIO()
    call_command("config", "apply", str(file), stdout=again)
    assert "No changes" in again.getvalue()
