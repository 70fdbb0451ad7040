"""An event on the demo's calendar, and a passed rehearsal of its service, for the tests."""

from datetime import timedelta

from incidents.big_events.services import event_create
from incidents.models import Event, Rehearsal, Service
from oncall.models import Team

from .conftest import T0

HOUR = timedelta(hours=1)


def event_make(*, name="Champions final", start=T0, hours=1, services=("edge",), **extra) -> Event:
    """Return an event of Platform SRE over [start, start + hours) on these services."""
    return event_create(
        team=Team.objects.get(name="Platform SRE"),
        name=name,
        starts_at=start,
        ends_at=start + hours * HOUR,
        services=Service.objects.filter(name__in=services),
        now=start - 2 * HOUR,
        **extra,
    )


def rehearsal_passed(service="edge", finished_at=T0 - HOUR, passed=True) -> Rehearsal:
    """Record a rehearsal of the service's twin that finished at `finished_at`."""
    real = Service.objects.get(name=service)
    twin, _ = Service.objects.get_or_create(
        name=f"{service}-rehearsal",
        defaults={
            "team": real.team,
            "escalation_policy": real.escalation_policy,
            "rehearsal_of": real,
        },
    )
    return Rehearsal.objects.create(
        service=twin,
        alerts=100,
        rate=10,
        started_at=finished_at - timedelta(minutes=5),
        finished_at=finished_at,
        passed=passed,
        report={},
    )
