from django.core.management.base import BaseCommand

from incidents.insights.rollup import rollup_advance, rollup_rebuild
from oncall import clock


class Command(BaseCommand):
    help = (
        "Bring the insights rollup up to date (advance), or derive it again from the incidents, "
        "alerts and pages (rebuild: after importing history with past times)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["advance", "rebuild"])

    def handle(self, *args, action, **options):
        rolled = {"advance": rollup_advance, "rebuild": rollup_rebuild}[action]
        mark = rolled(now=clock.now())
        if mark is None:
            self.stdout.write("Nothing to roll up: no incident, alert or page yet.")
        else:
            self.stdout.write(f"The insights rollup holds every bucket before {mark.isoformat()}.")
