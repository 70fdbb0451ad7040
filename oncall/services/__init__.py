"""Writes of the lower layer: people, teams, schedules, overrides and calendar feeds, each
validated whole or not at all. One module per subject; every write is importable from here."""

from oncall.services.feeds import calendar_feed_create, calendar_feed_revoke, calendar_feed_use
from oncall.services.people import (
    contact_method_create,
    notification_rule_create,
    person_create,
    team_member_set,
)
from oncall.services.schedules import RestrictionSpec, layer_create, override_create

__all__ = [
    "RestrictionSpec",
    "calendar_feed_create",
    "calendar_feed_revoke",
    "calendar_feed_use",
    "contact_method_create",
    "layer_create",
    "notification_rule_create",
    "override_create",
    "person_create",
    "team_member_set",
]
