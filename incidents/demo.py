"""The demo organisation's services: the stages a viewer's request passes through."""

from django.db import transaction

from incidents.models import Service
from oncall.demo import demo_load as people_and_schedules_load
from oncall.models import Team

SERVICES = (
    ("edge", "Request edge: load balancers and TLS termination"),
    ("auth", "Authentication: sign-in, sessions and entitlements"),
    ("catalog", "Content lookup: catalogue and search"),
    ("processing", "Processing: transcoding and packaging"),
    ("cdn", "Delivery: the CDN that carries the video"),
    ("playback", "Playback: players and their session API"),
)


@transaction.atomic
def demo_load() -> Team:
    """Load the demo people and schedules, then their services; running it again changes nothing."""
    team = people_and_schedules_load()
    for name, description in SERVICES:
        Service.objects.update_or_create(
            name=name, defaults={"description": description, "team": team}
        )
    return team
