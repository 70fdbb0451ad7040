"""The demo organisation: the 17-person follow-the-sun Platform SRE team (CONTRACT.md)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction

from oncall import clock, selectors
from oncall.audit import audit_bulk_created
from oncall.models import (
    ContactMethod,
    Layer,
    LayerMember,
    LayerRestriction,
    Membership,
    NotificationRule,
    Person,
    Schedule,
    Team,
    TimeOff,
)
from oncall.services.time_off import time_off_create

PASSWORD = "plantao-demo"
TEAM_NAME = "Platform SRE"
EMAIL_DOMAIN = "plantao.example"
# Every rotation counts its turns from this Monday, so the rota is the same on every machine.
ANCHOR_DATE = (2026, 1, 5)


@dataclass(frozen=True)
class Region:
    name: str
    time_zone: str
    # The daily window the region covers, in its own local time.
    window_start: time
    window_hours: int
    people: tuple[str, ...]


# Highest layer last: it wins where windows overlap. Singapore 08-16 SGT is 00-08 UTC; Lisbon
# 08-16 local is 08-16 UTC in winter and 07-15 UTC in summer; São Paulo 12-21 BRT is 15-24 UTC
# and takes whatever Lisbon leaves, so the day is covered in every season.
REGIONS = (
    Region(
        "São Paulo",
        "America/Sao_Paulo",
        time(12),
        9,
        (
            "Ana Souza",
            "Bruno Lima",
            "Carla Mendes",
            "Diego Rocha",
            "Fernanda Alves",
            "Gustavo Pereira",
        ),
    ),
    Region(
        "Lisbon",
        "Europe/Lisbon",
        time(8),
        8,
        (
            "Inês Carvalho",
            "João Martins",
            "Marta Ferreira",
            "Pedro Santos",
            "Rita Oliveira",
            "Tiago Costa",
        ),
    ),
    Region(
        "Singapore",
        "Asia/Singapore",
        time(8),
        8,
        ("Wei Ling Tan", "Arjun Nair", "Siti Rahman", "Daniel Lim", "Mei Chen"),
    ),
)
MANAGER = ("Helena Duarte", "Europe/Lisbon")
SECONDARY_HANDOFF = (time(9), "Europe/Lisbon")
# Time off to come, a year after the anchor (in the 12 weeks from Monday 2027-01-04 that the
# fair rota generator plans): (region, first day away, day back, reason), in local days. Each
# goes to the first person of the region with no shift then, so it asks nobody for cover.
TIME_OFF = (
    ("Lisbon", date(2027, 1, 18), date(2027, 1, 25), "Skiing week"),
    ("São Paulo", date(2027, 2, 8), date(2027, 2, 11), "Carnival trip"),
    ("Singapore", date(2027, 3, 1), date(2027, 3, 3), "Family visit"),
)
SMS_DELAY_MINUTES = 0
VOICE_DELAY_MINUTES = 3


def username_for(display_name: str) -> str:
    """Return the login of a demo person: their ASCII first name, lower case."""
    first = display_name.split()[0]
    return unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode().lower()


def phone_for(index: int) -> str:
    """Return the fictional number of the index-th demo person (+1AAA55501NN)."""
    return f"+1212555{100 + index:04d}"


def anchor(at: time, zone: str) -> datetime:
    return datetime(*ANCHOR_DATE, at.hour, at.minute, tzinfo=ZoneInfo(zone))


def _person(display_name: str, time_zone: str, index: int) -> Person:
    User = get_user_model()
    username = username_for(display_name)
    email = f"{username}@{EMAIL_DOMAIN}"
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    if created or not user.has_usable_password():
        user.set_password(PASSWORD)
        user.save()
    person, _ = Person.objects.update_or_create(
        user=user, defaults={"display_name": display_name, "time_zone": time_zone}
    )
    now = clock.now()
    methods = {
        "sms": phone_for(index),
        "voice": phone_for(index),
        "email": email,
    }
    for kind, address in methods.items():
        method, _ = ContactMethod.objects.get_or_create(
            person=person, kind=kind, address=address, defaults={"verified_at": now}
        )
        methods[kind] = method
    rules = [
        (methods["sms"], SMS_DELAY_MINUTES, "high"),
        (methods["voice"], VOICE_DELAY_MINUTES, "high"),
        (methods["email"], 0, "high"),
        (methods["email"], 0, "low"),
    ]
    for method, delay, urgency in rules:
        NotificationRule.objects.get_or_create(
            person=person, contact_method=method, delay_minutes=delay, urgency=urgency
        )
    return person


def _layer(schedule, *, position, name, people, time_zone, handoff, restriction=None):
    layer, _ = Layer.objects.update_or_create(
        schedule=schedule,
        position=position,
        defaults={
            "name": name,
            "turn_unit": Layer.TurnUnit.WEEKS,
            "turn_count": 1,
            "handoff": handoff,
            "time_zone": time_zone,
        },
    )
    layer.members.all().delete()
    audit_bulk_created(
        LayerMember.objects.bulk_create(
            LayerMember(layer=layer, person=person, position=i) for i, person in enumerate(people)
        )
    )
    layer.restrictions.all().delete()
    if restriction is not None:
        start, hours = restriction
        LayerRestriction.objects.create(
            layer=layer, kind="daily", start_time=start, duration=timedelta(hours=hours)
        )
    return layer


@transaction.atomic
def demo_load() -> Team:
    """Create or refresh the demo organisation; running it again changes nothing."""
    User = get_user_model()
    admin, created = User.objects.get_or_create(
        username="admin", defaults={"email": f"admin@{EMAIL_DOMAIN}"}
    )
    admin.is_staff = admin.is_superuser = True
    if created or not admin.has_usable_password():
        admin.set_password(PASSWORD)
    admin.save()
    admin_person, _ = Person.objects.get_or_create(
        user=admin, defaults={"display_name": "Plantão Admin"}
    )

    team, _ = Team.objects.get_or_create(name=TEAM_NAME, defaults={"slug": "platform-sre"})
    index = 0
    by_region = {}
    for region in REGIONS:
        by_region[region.name] = []
        for display_name in region.people:
            index += 1
            by_region[region.name].append(_person(display_name, region.time_zone, index))
    manager = _person(MANAGER[0], MANAGER[1], index + 1)
    team.manager = manager
    team.save()
    everyone = [p for region in REGIONS for p in by_region[region.name]]
    for person in everyone:
        Membership.objects.get_or_create(team=team, person=person, defaults={"role": "responder"})
    Membership.objects.update_or_create(team=team, person=manager, defaults={"role": "admin"})
    # The demo's administrator administers its team too (CONTRACT.md), so the API shows it.
    Membership.objects.update_or_create(team=team, person=admin_person, defaults={"role": "admin"})

    primary, _ = Schedule.objects.update_or_create(
        name="Primary",
        defaults={
            "team": team,
            "time_zone": "UTC",
            "description": "Follow the sun: each region covers its daytime; weekly turns inside.",
        },
    )
    for position, region in enumerate(REGIONS):
        _layer(
            primary,
            position=position,
            name=region.name,
            people=by_region[region.name],
            time_zone=region.time_zone,
            handoff=anchor(region.window_start, region.time_zone),
            restriction=(region.window_start, region.window_hours),
        )
    secondary, _ = Schedule.objects.update_or_create(
        name="Secondary",
        defaults={
            "team": team,
            "time_zone": SECONDARY_HANDOFF[1],
            "description": "Weekly, all 17, handing off on Mondays at 09:00 Lisbon time.",
        },
    )
    _layer(
        secondary,
        position=0,
        name="Everyone",
        people=everyone,
        time_zone=SECONDARY_HANDOFF[1],
        handoff=anchor(*SECONDARY_HANDOFF),
    )
    _time_off(by_region)
    return team


def _time_off(by_region: dict[str, list[Person]]) -> None:
    """Enter the demo's time off once: each entry to the first of its region's people who has
    no shift in it (so it opens no cover request), unless one of them has it already."""
    zones = {region.name: ZoneInfo(region.time_zone) for region in REGIONS}
    for region, start, end, reason in TIME_OFF:
        people = by_region[region]
        start, end = (datetime.combine(day, time(0), tzinfo=zones[region]) for day in (start, end))
        if TimeOff.objects.filter(person__in=people, start=start, end=end).exists():
            continue
        for person in people:
            if not selectors.person_shifts_between(person=person, since=start, until=end):
                time_off_create(person=person, start=start, end=end, reason=reason)
                break
