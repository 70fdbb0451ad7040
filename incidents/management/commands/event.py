from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from incidents.big_events.selectors import event_checklist
from incidents.big_events.services import test_pages_send
from incidents.models import Event
from oncall import clock


class Command(BaseCommand):
    help = (
        "Big events: list them with their readiness (`event list`), or send everyone on call "
        'during one a test page (`event test-pages "Champions final"`).'
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        listing = actions.add_parser("list", help="the events not over yet, and their checklist")
        listing.add_argument("--all", action="store_true", help="past events too")
        tests = actions.add_parser("test-pages", help="page everyone on call during the event")
        tests.add_argument("name", help="the event's name, e.g. 'Champions final'")

    def handle(self, *args, action, **options):
        now = clock.now()
        if action == "list":
            self._list(now, everything=options["all"])
        else:
            self._test_pages(now, options["name"])

    def _list(self, now, *, everything: bool):
        events = Event.objects.select_related("team")
        if not everything:
            events = events.filter(ends_at__gt=now)
        if not events:
            self.stdout.write("No events.")
        for event in events:
            checklist = event_checklist(event=event, now=now)
            self.stdout.write(
                f"{event.pk}\t{event.name}\t{event.team.name}\t{event.starts_at.isoformat()}\t"
                f"{event.ends_at.isoformat()}\t{checklist.summary}"
            )
            for check in checklist.checks:
                verdict = "pass" if check.passed else "FAIL"
                self.stdout.write(f"\t{verdict}\t{check.name}: {check.detail}")

    def _test_pages(self, now, name: str):
        # The soonest event of that name not over yet (else the latest one).
        events = Event.objects.filter(name=name)
        event = events.filter(ends_at__gt=now).first() or events.order_by("-starts_at").first()
        if event is None:
            raise CommandError(f"No event is named {name!r}: see `manage.py event list`.")
        try:
            sent = test_pages_send(event=event, now=now)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        for test_page in sent.sent:
            self.stdout.write(
                f"Sent a test page to {test_page.person.display_name} "
                f"(incident #{test_page.incident.number})."
            )
        for skipped in sent.skipped:
            self.stdout.write(
                f"Not sent to {skipped}: no verified contact method for high urgency."
            )
        if not sent.sent and not sent.skipped:
            self.stdout.write("Nobody is on call during the event.")
