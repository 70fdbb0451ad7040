"""Applying a file, part one: teams (with their members and manager), people, and how each is
reached (contact methods and their notification rules)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oncall import services
from oncall.audit import audit_action
from oncall.models import Membership, Team

from .compare import CREATE, Change

if TYPE_CHECKING:
    from .apply import Applying

ADMIN = Membership.Role.ADMIN


def team_create(run: Applying, change: Change) -> None:
    wanted = change.wanted
    team = services.team_create(
        name=wanted["name"], slug=wanted["slug"], slack_channel=wanted["slack_channel"]
    )
    rest = {
        key: wanted[key]
        for key in ("rest_after_sleep_pages", "rest_notice_nights")
        if wanted[key] is not None
    }
    if rest:
        services.team_update(team=team, **rest)


def team_update(run: Applying, change: Change) -> None:
    fields = {
        f.field: f.after
        for f in change.fields
        if f.field in ("slug", "slack_channel", "rest_after_sleep_pages", "rest_notice_nights")
    }
    if fields:
        services.team_update(team=Team.objects.get(name=change.name), **fields)


def _roles(change: Change) -> list[tuple[str, str | None, str | None]]:
    """Return each member whose role changes: e-mail, role before, role after (None: out)."""
    if change.action == CREATE:
        return [(m["person"], None, m["role"]) for m in change.wanted["members"]]
    return [
        (f.field.removeprefix("member "), f.before, f.after)
        for f in change.fields
        if f.field.startswith("member ")
    ]


def members_join(run: Applying, change: Change) -> None:
    """Add members and make admins (before anyone steps down: a team keeps an admin), then
    set the manager, who must be a member."""
    team = Team.objects.get(name=change.name)
    for email, before, after in _roles(change):
        if before is None and after is not None:
            services.team_member_add(team=team, person=run.person(email), role=after)
        elif before is not None and after == ADMIN:
            services.team_member_role_set(membership=_membership(run, team, email), role=after)
    manager = change.wanted["manager"]
    if change.action == CREATE and manager is not None or change.changed("manager"):
        services.team_update(team=team, manager=manager and run.person(manager))


def members_leave(run: Applying, change: Change) -> None:
    team = Team.objects.get(name=change.name)
    for email, before, after in _roles(change):
        if before is not None and after is None:
            services.team_member_remove(membership=_membership(run, team, email), now=run.now)
        elif before is not None and after not in (None, ADMIN):
            services.team_member_role_set(membership=_membership(run, team, email), role=after)


def _membership(run: Applying, team: Team, email: str) -> Membership:
    return Membership.objects.select_related("person", "team").get(
        team=team, person=run.person(email)
    )


def person_write(run: Applying, change: Change) -> None:
    wanted = change.wanted
    names = {"name": "display_name"}
    if change.action == CREATE:
        person = services.person_create(
            username=wanted["username"],
            display_name=wanted["name"],
            email=wanted["email"],
            time_zone=wanted["time_zone"],
            locale=wanted["locale"],
            holiday_country=wanted["holiday_country"],
            holiday_subdivision=wanted["holiday_subdivision"],
        )
        run._people[wanted["email"].lower()] = person
        return
    services.person_update(
        person=run.person(change.name),
        **{names.get(f.field, f.field): f.after for f in change.fields},
    )


def contact_method_write(run: Applying, change: Change) -> None:
    wanted = change.wanted
    if change.action == CREATE:
        person = run.person(change.parent)
        if run.trust_verified:
            with audit_action("trust_verified"):
                method = services.contact_method_create(
                    person=person,
                    kind=wanted["kind"],
                    address=wanted["address"],
                    label=wanted["label"],
                    verified=True,
                )
        else:  # sent its code once this commits
            method = services.contact_method_create(
                person=person,
                kind=wanted["kind"],
                address=wanted["address"],
                label=wanted["label"],
            )
        rules_before = []
    else:
        method = run.contact_method(change)
        if change.changed("label"):
            services.contact_method_update(method=method, label=wanted["label"])
        if not change.changed("rules"):
            return
        rules_before = change.current["rules"]
    key = lambda rule: (rule["urgency"], rule["after_minutes"])  # noqa: E731
    gone = {key(rule) for rule in rules_before} - {key(rule) for rule in wanted["rules"]}
    for rule in method.notification_rules.all():
        if (rule.urgency, rule.delay_minutes) in gone:
            services.notification_rule_delete(rule=rule)
    had = {key(rule) for rule in rules_before}
    for rule in wanted["rules"]:
        if key(rule) not in had:
            services.notification_rule_create(
                contact_method=method,
                delay_minutes=rule["after_minutes"],
                urgency=rule["urgency"],
            )


def contact_method_delete(run: Applying, change: Change) -> None:
    services.contact_method_delete(method=run.contact_method(change))


def person_archive(run: Applying, change: Change) -> None:
    services.person_archive(person=run.person(change.name), now=run.now)
