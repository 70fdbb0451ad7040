"""Who an escalation step's targets mean at the moment it fires."""

from __future__ import annotations

from datetime import datetime

from incidents import escalation
from oncall import selectors
from oncall.models import Membership, Person, Schedule

PAGEABLE_ROLES = (Membership.Role.RESPONDER, Membership.Role.ADMIN)


def _team_member_ids(team_id: int) -> list[int]:
    return sorted(
        Membership.objects.filter(team_id=team_id, role__in=PAGEABLE_ROLES).values_list(
            "person_id", flat=True
        )
    )


def targets_resolve(
    *,
    targets: tuple[escalation.Target, ...],
    incident_number: int,
    loop: int,
    at: datetime,
    on_call: dict[int, Person | None] | None = None,
    people: dict[int, Person] | None = None,
) -> tuple[list[Person], list[str]]:
    """Return the people to page for `targets` at `at`, and a note for each target with nobody.

    `on_call`: who is on call at `at` for the schedules targeted, when the caller asked already
    (for several incidents at once); asked here otherwise. `people`: people the caller fetched
    already, by id (the persons its targets name, say), not fetched again.
    """
    ids: list[int] = []
    empty: list[str] = []
    known: dict[int, Person] = dict(people or {})  # people already fetched
    if on_call is None:
        schedule_ids = [t.id for t in targets if t.kind == escalation.TargetKind.SCHEDULE]
        on_call = (
            selectors.oncall_people_at(at=at, schedule_ids=schedule_ids) if schedule_ids else {}
        )
    for target in targets:
        if target.kind == escalation.TargetKind.PERSON:
            ids.append(target.id)
        elif target.kind == escalation.TargetKind.SCHEDULE:
            person = on_call.get(target.id)
            if person is None:
                name = Schedule.objects.filter(pk=target.id).values_list("name", flat=True).first()
                empty.append(f"nobody is on call for {name or 'a deleted schedule'}")
            else:
                ids.append(person.pk)
                known[person.pk] = person
        else:
            members = _team_member_ids(target.id)
            if not members:
                empty.append("the team has nobody to page")
            elif target.kind == escalation.TargetKind.TEAM_ALL:
                ids.extend(members)
            else:
                ids.append(escalation.round_robin_pick(members, incident_number, loop))
    unique = list(dict.fromkeys(ids))  # each person once per step, in target order
    missing = [pk for pk in unique if pk not in known]
    found = known | (Person.objects.in_bulk(missing) if missing else {})
    return [found[pk] for pk in unique if pk in found], empty
