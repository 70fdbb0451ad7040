"""manage.py config export [--team NAME] | config schema: the configuration as a YAML file."""

import json

from django.core.management.base import BaseCommand, CommandError

from incidents.configuration import schema
from incidents.configuration.export import ExportProblem, config_export
from incidents.configuration.files import dump
from incidents.configuration.normal import compact
from oncall import clock
from oncall.models import Team

EXPORT_HEADER = (
    "# Plantão configuration (manage.py config export). Schema: plantao-config.schema.json.\n"
    "# Edit it, then: manage.py config apply FILE --dry-run\n"
)


class Command(BaseCommand):
    help = (
        "The configuration as code: `config export [--team NAME]` writes it as YAML, "
        "`config schema` prints the file's JSON Schema."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        export = actions.add_parser("export", help="write the configuration as YAML to stdout")
        export.add_argument(
            "--team", action="append", metavar="NAME", help="only this team (may be repeated)"
        )
        actions.add_parser("schema", help="print the configuration file's JSON Schema")

    def handle(self, *args, action, **options):
        if action == "export":
            self._export(options["team"])
        elif action == "schema":
            self.stdout.write(json.dumps(schema.SCHEMA, indent=2, ensure_ascii=False))

    def _export(self, names):
        teams = None
        if names:
            teams = list(Team.objects.filter(name__in=names))
            missing = sorted(set(names) - {team.name for team in teams})
            if missing:
                raise CommandError(f"No team is named {', '.join(map(repr, missing))}.")
        try:
            config = config_export(now=clock.now(), teams=teams)
        except ExportProblem as error:
            raise CommandError(str(error)) from None
        self.stdout.write(dump(compact(config), header=EXPORT_HEADER), ending="")
