"""The demo's time off: a few entries to come, one per region, asking nobody for cover, and
loading the demo again adds none."""

from datetime import UTC, datetime

from oncall import demo
from oncall.models import CoverRequest, TimeOff


def test_the_demo_enters_time_off_to_come_once_and_asks_nobody_for_cover(db, frozen_now):
    frozen_now(datetime(2026, 12, 6, 20, 0, tzinfo=UTC))
    demo.demo_load()
    demo.demo_load()

    entries = list(TimeOff.objects.select_related("person").order_by("start"))
    assert [(e.reason, e.person.time_zone) for e in entries] == [
        ("Skiing week", "Europe/Lisbon"),
        ("Carnival trip", "America/Sao_Paulo"),
        ("Family visit", "Asia/Singapore"),
    ]
    assert str(entries[0].start) == "2027-01-18 00:00:00+00:00"
    assert not CoverRequest.objects.exists()
