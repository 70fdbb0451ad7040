from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incidents.big_events.demo import demo_event_load
from incidents.demo import demo_load
from oncall import clock
from oncall.demo import PASSWORD


class Command(BaseCommand):
    help = "Load the demo organisation (the 17-person follow-the-sun Platform SRE team)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Load it even when DEBUG is off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo people with known passwords while DEBUG is off; "
                "pass --force if you really mean it."
            )
        team = demo_load()
        event = demo_event_load(team=team, now=clock.now())
        self.stdout.write(
            f"Demo organisation ready: {team.name}, {team.members.count()} people "
            f"(17 on call and their manager), {team.services.count()} services, "
            f"one event ({event.name}, {event.starts_at:%a %d %b %H:%M} Lisbon). "
            f"Log in as admin / {PASSWORD}."
        )
