"""Postmortems: start one from incidents, edit it, review and publish it, track its actions.

Every service takes keyword arguments only, is given `now` (never reads the clock), runs in one
transaction and returns what it changed. Access is checked by the callers
(incidents/postmortem_access.py).
"""

from .action_items import action_item_create, action_item_delete, action_item_update
from .drafting import default_title, postmortem_redraft, postmortem_start
from .editing import entry_add, entry_delete, entry_update, postmortem_update
from .errors import (
    DraftedEntryKept,
    IncidentAlreadyInPostmortem,
    IncidentsOfSeveralTeams,
    InvalidTransition,
    NotAReviewer,
    PostmortemError,
    PostmortemReadOnly,
    StaleRevision,
)
from .review import (
    postmortem_approve,
    postmortem_publish,
    postmortem_request_review,
    postmortem_return_to_draft,
)
from .settings import postmortem_settings_of, postmortem_settings_update

__all__ = [
    "DraftedEntryKept",
    "IncidentAlreadyInPostmortem",
    "IncidentsOfSeveralTeams",
    "InvalidTransition",
    "NotAReviewer",
    "PostmortemError",
    "PostmortemReadOnly",
    "StaleRevision",
    "action_item_create",
    "action_item_delete",
    "action_item_update",
    "default_title",
    "entry_add",
    "entry_delete",
    "entry_update",
    "postmortem_approve",
    "postmortem_publish",
    "postmortem_redraft",
    "postmortem_request_review",
    "postmortem_return_to_draft",
    "postmortem_settings_of",
    "postmortem_settings_update",
    "postmortem_start",
    "postmortem_update",
]
