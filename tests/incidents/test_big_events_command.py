"""`manage.py event`: list the events with their checklist, send test pages by event name."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from incidents.models import Incident

from .big_events_world import event_make
from .conftest import T0
from .test_engine import on_call


def run(*args) -> str:
    out = StringIO()
    call_command("event", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_list_then_test_pages_by_name(demo, frozen_now, rings):
    frozen_now(T0 - timedelta(hours=2))
    event_make()
    listed = run("list")
    assert "Champions final" in listed and "Not ready" in listed and "FAIL\tRehearsal" in listed
    primary = on_call("Primary")
    primary.contact_methods.update(verified_at=None)
    said = run("test-pages", "Champions final")
    assert f"Not sent to {primary.display_name}" in said
    assert f"Sent a test page to {on_call('Secondary').display_name}" in said
    (test,) = Incident.objects.filter(kind="test")
    assert test.pages.filter(state="pending").exists() and test.esc_due_at is None


@pytest.mark.django_db
def test_an_unknown_event_is_an_error_naming_it(demo):
    with pytest.raises(CommandError, match="No event is named 'Cup'"):
        run("test-pages", "Cup")
