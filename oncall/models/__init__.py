from .audit import AuditEntry
from .cover import CoverRequest
from .feeds import CalendarFeed
from .handoffs import HandoffSummary
from .heartbeats import Heartbeat
from .notices import ShiftNotice
from .pacing import RehearsalSend, RehearsalTurn, SendPace
from .people import ContactMethod, Membership, NotificationRule, Person, Team
from .replays import SignedRequest
from .schedules import Layer, LayerMember, LayerRestriction, Override, Schedule
from .time_off import TimeOff
from .tokens import ApiToken

__all__ = [
    "ApiToken",
    "AuditEntry",
    "CalendarFeed",
    "ContactMethod",
    "CoverRequest",
    "HandoffSummary",
    "Heartbeat",
    "Layer",
    "LayerMember",
    "LayerRestriction",
    "Membership",
    "NotificationRule",
    "Override",
    "Person",
    "RehearsalSend",
    "RehearsalTurn",
    "Schedule",
    "SendPace",
    "SignedRequest",
    "ShiftNotice",
    "Team",
    "TimeOff",
]
