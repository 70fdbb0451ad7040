"""A small team for the fair rota tests: three people in São Paulo, Lisbon and Singapore on one
weekly 24/7 layer (turns on Mondays at midnight) of the schedule "Ops rota" (Lisbon time), and a
stranger in another team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from oncall.models import Membership, Person, Schedule, Team
from oncall.services import layer_create, person_create

# A Wednesday: the next Monday in Lisbon is 2027-01-11 00:00 (UTC+0 in winter).
NOW = datetime(2027, 1, 6, 12, 0, tzinfo=UTC)
MONDAY = datetime(2027, 1, 11, 0, 0, tzinfo=UTC)


@dataclass
class World:
    team: Team
    schedule: Schedule
    ana: Person  # America/Sao_Paulo
    bruno: Person  # Europe/Lisbon
    wei: Person  # Asia/Singapore
    admin: Person
    stranger: Person


def rota_world() -> World:
    team = Team.objects.create(name="Ops", slug="ops")
    ana = person_create(
        username="ana", display_name="Ana Souza", time_zone="America/Sao_Paulo", team=team
    )
    bruno = person_create(
        username="bruno", display_name="Bruno Lima", time_zone="Europe/Lisbon", team=team
    )
    wei = person_create(
        username="wei", display_name="Wei Tan", time_zone="Asia/Singapore", team=team
    )
    admin = person_create(
        username="boss", display_name="Olga Admin", team=team, role=Membership.Role.ADMIN
    )
    other = Team.objects.create(name="Elsewhere", slug="elsewhere")
    stranger = person_create(username="zed", display_name="Zed Stranger", team=other)
    schedule = Schedule.objects.create(name="Ops rota", team=team, time_zone="Europe/Lisbon")
    layer_create(
        schedule=schedule,
        name="Everyone",
        participants=[ana, bruno, wei],
        turn_unit="weeks",
        turn_count=1,
        handoff=datetime(2026, 6, 1, 0, 0, tzinfo=ZoneInfo("Europe/Lisbon")),  # Mondays 00:00
        time_zone="Europe/Lisbon",
    )
    return World(team, schedule, ana, bruno, wei, admin, stranger)
