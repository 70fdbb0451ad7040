from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from incidents.proposals.options import COVERAGES, OptionsError, horizon_of, options_parse
from incidents.proposals.report import report_lines
from incidents.proposals.results import proposal_json
from incidents.proposals.services import proposal_apply, proposal_make
from oncall import clock
from oncall.audit import audit_context
from oncall.models import Schedule


class Command(BaseCommand):
    help = (
        "Propose a fair rota for a schedule (rota propose): who covers each hour of the next "
        "weeks, fair in night, weekend and holiday hours, beside plain round-robin; --apply "
        "writes it as overrides."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        propose = actions.add_parser("propose", help="Propose a fair rota and print its report.")
        propose.add_argument("--schedule", required=True, help="The schedule's name.")
        propose.add_argument("--weeks", required=True, help="How many weeks, from the start.")
        propose.add_argument(
            "--start",
            help="A date (its midnight in the schedule's zone) or an ISO-8601 time; "
            "default: the next Monday.",
        )
        propose.add_argument("--coverage", choices=COVERAGES, default="layers")
        propose.add_argument(
            "--time-limit", dest="time_limit_seconds", help="The solver's time limit, seconds."
        )
        propose.add_argument("--seed", help="The solver's random seed (a proposal reproduces).")
        propose.add_argument("--min-rest", dest="min_rest_hours", help="Hours between shifts.")
        propose.add_argument(
            "--apply", action="store_true", help="Write the proposal as overrides."
        )

    def handle(self, *args, action, schedule, apply, **options):
        found = Schedule.objects.filter(name=schedule).first()
        if found is None:
            raise CommandError(f"No schedule named {schedule!r}.")
        raw = {
            name: options[name]
            for name in (
                "weeks",
                "start",
                "coverage",
                "time_limit_seconds",
                "seed",
                "min_rest_hours",
            )
            if options.get(name) is not None
        }
        try:
            parsed = options_parse(raw)
        except OptionsError as error:
            raise CommandError(f"Bad option: {error}") from None
        now = clock.now()
        try:
            made = proposal_make(schedule=found, options=parsed, now=now)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        since, until = horizon_of(parsed, time_zone=found.time_zone, now=now)
        result = proposal_json(made)
        for line in report_lines(
            result,
            schedule=found.name,
            time_zone=found.time_zone,
            since=since,
            until=until,
        ):
            self.stdout.write(line)
        if apply:
            try:
                with audit_context(source="shell"):
                    created = proposal_apply(schedule=found, shifts=made.shifts, now=now)
            except ValidationError as error:
                raise CommandError(f"Nothing applied: {error}") from None
            self.stdout.write("")
            self.stdout.write(
                f"Applied: {len(created)} override{'s' if len(created) != 1 else ''} created "
                f"on {found.name}."
                if created
                else "Applied: nothing to change, the schedule already says this."
            )
