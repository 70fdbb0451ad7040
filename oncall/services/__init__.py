"""Writes of the lower layer: people, teams, schedules, overrides and calendar feeds, each
validated whole or not at all. One module per subject; every write is importable from here."""

from oncall.services._checks import KEEP, InUse
from oncall.services.contacts import (
    contact_method_create,
    contact_method_delete,
    contact_method_update,
    contact_method_verification_send,
    contact_method_verify,
    notification_rule_create,
    notification_rule_delete,
    notification_rule_update,
)
from oncall.services.cover import (
    CoverRefused,
    cover_request_create,
    cover_request_take,
    cover_request_withdraw,
)
from oncall.services.feeds import calendar_feed_create, calendar_feed_revoke, calendar_feed_use
from oncall.services.layers import (
    LayerSpec,
    RestrictionSpec,
    layer_create,
    layer_delete,
    layer_update,
)
from oncall.services.overrides import (
    OverrideSpec,
    override_create,
    override_delete,
    override_update,
    overrides_create,
)
from oncall.services.people import person_archive, person_create, person_update
from oncall.services.schedules import schedule_create, schedule_delete, schedule_update
from oncall.services.teams import (
    team_create,
    team_delete,
    team_member_add,
    team_member_remove,
    team_member_role_set,
    team_member_set,
    team_update,
)
from oncall.services.time_off import time_off_create, time_off_delete, time_off_update

__all__ = [
    "KEEP",
    "CoverRefused",
    "InUse",
    "LayerSpec",
    "OverrideSpec",
    "RestrictionSpec",
    "calendar_feed_create",
    "calendar_feed_revoke",
    "calendar_feed_use",
    "contact_method_create",
    "cover_request_create",
    "cover_request_take",
    "cover_request_withdraw",
    "contact_method_delete",
    "contact_method_update",
    "contact_method_verification_send",
    "contact_method_verify",
    "layer_create",
    "layer_delete",
    "layer_update",
    "notification_rule_create",
    "notification_rule_delete",
    "notification_rule_update",
    "override_create",
    "override_delete",
    "override_update",
    "overrides_create",
    "person_archive",
    "person_create",
    "person_update",
    "schedule_create",
    "schedule_delete",
    "schedule_update",
    "team_create",
    "team_delete",
    "team_member_add",
    "team_member_remove",
    "team_member_role_set",
    "team_member_set",
    "team_update",
    "time_off_create",
    "time_off_delete",
    "time_off_update",
]
