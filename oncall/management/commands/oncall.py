from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from oncall import clock, selectors
from oncall.models import Schedule


def parse_instant(value: str) -> datetime:
    """Parse an ISO-8601 instant that names its offset (Z or +01:00)."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(
            f"--at {value!r} is not an ISO-8601 instant; use e.g. 2026-03-29T09:00:00+01:00."
        ) from error
    if at.utcoffset() is None:
        raise CommandError(
            f"--at {value!r} has no offset, and the team spans three continents; "
            "add Z or an offset such as +01:00."
        )
    return at


def describe(instant: datetime | None) -> str:
    return instant.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M UTC") if instant else "-"


class Command(BaseCommand):
    help = "Tell who is on call: `oncall who [--schedule NAME] [--at ISO-8601]`."
    # A read-only answer wanted at 3 a.m.: skip the system checks, which cost more than the query.
    requires_system_checks = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        who = actions.add_parser("who", help="who is on call, per schedule, and who is next")
        who.add_argument("--schedule", help="only this schedule (its name)")
        who.add_argument("--at", help="an instant with its offset (default: now)")

    def handle(self, *args, action, schedule=None, at=None, **options):
        instant = parse_instant(at) if at else clock.now()
        schedules = Schedule.objects.all()
        if schedule is not None:
            schedules = schedules.filter(name=schedule)
            if not schedules.exists():
                known = ", ".join(Schedule.objects.values_list("name", flat=True)) or "none yet"
                raise CommandError(f"No schedule named {schedule!r}; known schedules: {known}.")
        answers = selectors.oncall_summary(at=instant, schedules=schedules)
        if not answers:
            self.stdout.write("No schedules yet.")
        width = max((len(a.schedule.name) for a in answers), default=0)
        for answer in answers:
            self.stdout.write(f"{answer.schedule.name:<{width}}  {summary_line(answer)}")


def summary_line(answer: selectors.OnCall) -> str:
    """Say who is on call, until when, and who is next, gaps included."""
    line = answer.person.display_name if answer.person else "nobody (a gap)"
    if answer.until is None:
        return line
    line += f"  until {describe(answer.until)}"
    if answer.next_person is None:
        return line
    if answer.next_start == answer.until:
        return line + f", then {answer.next_person.display_name}"
    if answer.person is None:
        return line + f", then {answer.next_person.display_name}"
    return (
        line + f", then a gap; next {answer.next_person.display_name} "
        f"from {describe(answer.next_start)}"
    )
