"""A hand-computed history of 50 incidents for the insights' tests (see test_insights.py for the
figures worked out from it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from incidents.insights.names import alert_name_of
from incidents.models import Alert, EscalationPolicy, Incident, Page, Service
from oncall import fatigue
from oncall.models import Team
from oncall.services.people import person_create

T0 = datetime(2026, 11, 2, 9, 7, tzinfo=UTC)  # a Monday
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
CHANNELS = ["sms", "voice", "slack", "web"]


def team_with_service(name: str) -> Service:
    team = Team.objects.create(name=name, slug=name.lower())
    policy = EscalationPolicy.objects.create(team=team, name=f"{name} default")
    return Service.objects.create(team=team, name=f"{name.lower()}-api", escalation_policy=policy)


def incident_at(service, created, *, name, by_label=True, **fields) -> Incident:
    details = {"labels": {"alertname": name}} if by_label else {}
    title = f"{name} on {service.name}" if by_label else name
    key = f"{name}-{created.isoformat()}"
    return Incident.objects.create(
        service=service,
        dedup_key=key,
        title=title,
        details=details,
        alert_name=alert_name_of(details=details, title=title, dedup_key=key),
        created_at=created,
        **fields,
    )


def page_to(incident, person, at, *, loop: int = 0) -> Page:
    local, interruption = fatigue.interruption_at(at, person.time_zone)
    return Page.objects.create(
        incident=incident,
        step=0,
        loop=loop,
        person=person,
        rule_id=1,
        kind="sms",
        address="+12125550100",
        urgency="high",
        state="sent",
        due_at=at,
        created_at=at,
        sent_at=at,
        local_time=local.isoformat(),
        interruption=interruption,
    )


def alerts_for(incident, count: int) -> None:
    for n in range(count):
        Alert.objects.create(
            incident=incident,
            action="trigger",
            dedup_key=incident.dedup_key,
            received_at=incident.created_at + timedelta(seconds=n),
        )


def history():
    """Build the 50 incidents of team Ops's service and return (service, responder, second)."""
    service = team_with_service("Ops")
    responder = person_create(
        username="ana", display_name="Ana", time_zone="America/Sao_Paulo", team=service.team
    )
    second = person_create(
        username="bruno", display_name="Bruno", time_zone="Europe/Lisbon", team=service.team
    )
    for i in range(50):
        created = T0 + timedelta(hours=i)
        fields = {}
        if i < 40:  # acknowledged after (i+1)*10 s, resolved by a person after 3600 + 60 i s
            fields = {
                "status": "resolved",
                "acknowledged_at": created + timedelta(seconds=(i + 1) * 10),
                "acknowledged_by": responder,
                "ack_source": CHANNELS[i % 4],
                "resolved_at": created + timedelta(seconds=3600 + 60 * i),
                "resolved_by": responder,
            }
            name = "HighLatency" if i % 2 else "ErrorRate"
        elif i < 46:  # resolved by monitoring after 2 minutes: quiet
            fields = {"status": "resolved", "resolved_at": created + timedelta(seconds=120)}
            name = "DiskFull"
        elif i < 48:  # resolved by monitoring, but after 10 minutes
            fields = {"status": "resolved", "resolved_at": created + timedelta(seconds=600)}
            name = "DiskFull"
        else:
            name = "DiskFull"
        incident = incident_at(service, created, name=name, by_label=i % 3 != 0, **fields)
        alerts_for(incident, 3 if name == "DiskFull" else 1)
        page_to(incident, responder, created + timedelta(seconds=5))
        if i < 10:
            page_to(incident, second, created + timedelta(seconds=6))
    # Outside the period, and another team's: neither counts.
    incident_at(service, T0 - timedelta(days=3), name="ErrorRate")
    other = team_with_service("Elsewhere")
    elsewhere = incident_at(other, T0, name="DiskFull", status="resolved", resolved_at=T0)
    alerts_for(elsewhere, 5)
    return service, responder, second
