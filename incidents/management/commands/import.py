"""manage.py import grafana-oncall|opsgenie|pagerduty (--from DIR | --url URL --token T)
[--verify]: a configuration file from another tool's API answers."""

import importlib
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from incidents.configuration.files import dump
from incidents.configuration.normal import ConfigInvalid, normalized
from incidents.importers import verify
from incidents.importers.sources import Api, Folder, ImportFailed
from oncall import clock

TOOLS = {
    "grafana-oncall": "incidents.importers.grafana_oncall",
    "opsgenie": "incidents.importers.opsgenie",
    "pagerduty": "incidents.importers.pagerduty",
}


class Command(BaseCommand):
    help = (
        "Write a Plantão configuration file from another on-call tool's API answers, saved in a "
        "folder (--from) or read live (--url, --token); report what did not map. Nothing is "
        "written to the database: review the file, then `manage.py config apply FILE`."
    )

    def add_arguments(self, parser):
        parser.add_argument("tool", choices=sorted(TOOLS), help="the tool to move from")
        parser.add_argument("--from", dest="folder", metavar="DIR", help="saved API answers")
        parser.add_argument("--url", help="the tool's API, e.g. https://api.pagerduty.com")
        parser.add_argument(
            "--token",
            help="an API token that can read (or set PLANTAO_IMPORT_TOKEN, kept out of the "
            "shell's history)",
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="ask the tool's API who is on call at 200 instants over the next 8 weeks and "
            "compare with the imported schedules (needs --url and --token)",
        )
        parser.add_argument("--output", "-o", metavar="FILE", help="write here, not to stdout")

    def handle(self, *args, tool, folder, url, token, verify: bool, output, **options):
        module = importlib.import_module(TOOLS[tool])
        token = token or os.environ.get("PLANTAO_IMPORT_TOKEN", "")
        if bool(folder) == bool(url):
            raise CommandError("Give either --from DIR or --url URL (with --token).")
        if verify and not url:
            raise CommandError("--verify asks the tool's API: give --url and --token as well.")
        try:
            api = Api(url, token, module.auth) if url else None
            source = Folder(folder, module.HOW_TO_SAVE) if folder else api
            imported = module.convert(module.fetch(source))
        except ImportFailed as error:
            raise CommandError(str(error)) from None
        try:
            normalized(imported.config)
        except ConfigInvalid as error:  # an importer's mistake, but say it rather than hide it
            raise CommandError(f"The imported configuration is not valid:\n{error}") from None
        text = dump(imported.config, header=_header(module.NAME, imported))
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text)
        else:
            self.stdout.write(text, ending="")
        self._report(module.NAME, imported, output)
        if verify:
            self._verify(module, api, imported)

    def _report(self, name, imported, output) -> None:
        err = self.stderr
        config = imported.config
        err.write(
            f"Imported from {name}: {len(config['teams'])} teams, {len(config['people'])} people, "
            f"{len(config['schedules'])} schedules, {len(config['escalation_policies'])} "
            f"escalation policies, {len(config['services'])} services."
        )
        if imported.unmapped:
            err.write(f"Not imported, or only in part ({len(imported.unmapped)}):")
            for item in imported.unmapped:
                err.write(f"  - {item}")
        else:
            err.write("Everything mapped.")
        for note in imported.notes:
            err.write(f"  * {note}")
        if output:
            err.write(
                f"Wrote {output}: review it, then `manage.py config apply {output} --dry-run`."
            )

    def _verify(self, module, api, imported) -> None:
        at = verify.instants(clock.now())
        try:
            found, compared = verify.differences(
                imported.config,
                imported.schedule_ids,
                lambda old_id, instants: module.oncall_answers(api, old_id, instants),
                at,
            )
        except ImportFailed as error:
            raise CommandError(f"--verify: {error}") from None
        schedules = len(imported.schedule_ids)
        for difference in found:
            self.stderr.write(f"  ≠ {difference}")
        self.stderr.write(
            f"Verified {schedules} schedules at {len(at)} instants over 8 weeks: "
            f"{compared} answers compared, {len(found)} differ."
        )
        if found:
            sys.exit(1)


def _header(name: str, imported) -> str:
    lines = [
        f"Imported from {name} by `manage.py import` on {clock.now():%Y-%m-%d %H:%M} UTC.",
        "Review it, then: manage.py config apply FILE --dry-run",
    ]
    if imported.unmapped:
        lines.append("Not imported, or only in part:")
        lines += [f"  - {item}" for item in imported.unmapped]
    lines += [f"* {note}" for note in imported.notes]
    return "".join(f"# {line}\n" for line in lines)
