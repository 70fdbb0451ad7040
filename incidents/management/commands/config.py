"""manage.py config export [--team NAME] | config apply FILE | config schema: the configuration
as a YAML file."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from incidents.configuration import schema
from incidents.configuration.apply import config_apply
from incidents.configuration.export import ExportProblem, config_export
from incidents.configuration.files import dump
from incidents.configuration.normal import ConfigInvalid, compact, load
from incidents.configuration.plan import config_plan
from oncall import clock
from oncall.models import Team

EXPORT_HEADER = (
    "# Plantão configuration (manage.py config export). Schema: plantao-config.schema.json.\n"
    "# Edit it, then: manage.py config apply FILE --dry-run\n"
)


class Command(BaseCommand):
    help = (
        "The configuration as code: `config export [--team NAME]` writes it as YAML, "
        "`config apply FILE [--dry-run] [--prune] [--trust-verified]` makes the database match "
        "it, `config schema` prints the file's JSON Schema."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        export = actions.add_parser("export", help="write the configuration as YAML to stdout")
        export.add_argument(
            "--team", action="append", metavar="NAME", help="only this team (may be repeated)"
        )
        actions.add_parser("schema", help="print the configuration file's JSON Schema")
        apply = actions.add_parser(
            "apply", help="print what a file changes, then make the database match it"
        )
        apply.add_argument("file", metavar="FILE")
        apply.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
        apply.add_argument(
            "--prune",
            action="store_true",
            help="delete what the file's teams hold and the file leaves out (archive people)",
        )
        apply.add_argument(
            "--trust-verified",
            action="store_true",
            help="take new contact methods as verified instead of sending them codes (recorded)",
        )
        apply.add_argument(
            "--as", dest="as_user", metavar="USERNAME", help="the user the audit log names"
        )

    def handle(self, *args, action, **options):
        if action == "export":
            self._export(options["team"])
        elif action == "apply":
            self._apply(
                options["file"],
                dry_run=options["dry_run"],
                prune=options["prune"],
                trust_verified=options["trust_verified"],
                username=options["as_user"],
            )
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

    def _apply(self, file, *, dry_run, prune, trust_verified, username):
        actor = None
        if username:
            actor = get_user_model().objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"No user is named {username!r}.")
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{file}: cannot read it ({error.__class__.__name__}).") from None
        origin = Path(file).name
        now = clock.now()
        try:
            loaded = load(text, origin)
            plan = config_plan(loaded=loaded, prune=prune, now=now, name=origin)
            self.stdout.write(plan.text(), ending="")
            if dry_run or plan.empty:
                return
            applied = config_apply(
                loaded=loaded,
                prune=prune,
                trust_verified=trust_verified,
                now=now,
                origin=origin,
                actor=actor,
            )
        except ConfigInvalid as invalid:
            self._invalid(file, invalid)
        except ExportProblem as error:  # the database holds what a file cannot name
            raise CommandError(str(error)) from None
        for made in applied.integrations:
            self.stdout.write(
                f"New integration {made.service}/{made.kind} {made.name!r}: send alerts to "
                f"{made.url} (token {made.token}; shown this once)"
            )
        done = applied.plan
        self.stdout.write(
            f"Applied {origin}: {done.count('create')} created, {done.count('update')} changed, "
            f"{done.count('delete', 'archive')} deleted."
        )

    def _invalid(self, file, invalid: ConfigInvalid):
        for problem in invalid.problems:
            where = f"{problem.path}: " if problem.path else ""
            self.stderr.write(f"{file}:{problem.line}: {where}{problem.message}")
        count = len(invalid.problems)
        raise CommandError(
            f"{file}: {count} problem{'s' if count > 1 else ''}; nothing was changed.",
            returncode=2,
        )
