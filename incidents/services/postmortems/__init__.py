"""Postmortems: start one from incidents, edit it, review and publish it, track its actions.

Every service takes keyword arguments only, is given `now` (never reads the clock), runs in one
transaction and returns what it changed. Access is checked by the callers
(incidents/postmortem_access.py).
"""

from .drafting import default_title, postmortem_redraft, postmortem_start
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

__all__ = [
    "DraftedEntryKept",
    "IncidentAlreadyInPostmortem",
    "IncidentsOfSeveralTeams",
    "InvalidTransition",
    "NotAReviewer",
    "PostmortemError",
    "PostmortemReadOnly",
    "StaleRevision",
    "default_title",
    "postmortem_redraft",
    "postmortem_start",
]
