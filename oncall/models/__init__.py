from .feeds import CalendarFeed
from .people import ContactMethod, Membership, NotificationRule, Person, Team
from .schedules import Layer, LayerMember, LayerRestriction, Override, Schedule

__all__ = [
    "CalendarFeed",
    "ContactMethod",
    "Layer",
    "LayerMember",
    "LayerRestriction",
    "Membership",
    "NotificationRule",
    "Override",
    "Person",
    "Schedule",
    "Team",
]
