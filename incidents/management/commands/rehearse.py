"""`manage.py rehearse`: a load rehearsal of the paging path (see incidents/rehearse/)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incidents.rehearse import shapes
from incidents.rehearse.client import ApiError, Client, Unreachable
from incidents.rehearse.run import Options, rehearse, summary_lines

TOKEN_ENV = "PLANTAO_API_TOKEN"
# How long the token minted for a local rehearsal lives; it is revoked at the end anyway.
LOCAL_TOKEN_LIFE = timedelta(hours=1)


def usage(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    help = (
        "Drive a storm of alerts through the real HTTP ingest of a running Plantão into a "
        "rehearsal service, wait for its pages, and report latencies against thresholds "
        "(exit 0 when every threshold held, 1 when one failed, 2 on bad options or no server)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", help="the Plantão to rehearse (default: PUBLIC_URL)")
        parser.add_argument(
            "--token", help=f"an admin API token (default: ${TOKEN_ENV}; locally, one is minted)"
        )
        parser.add_argument(
            "--service", help="the real service to rehearse (default: the server's first)"
        )
        parser.add_argument("--alerts", type=int, required=True, help="alerts to send")
        parser.add_argument("--rate", type=int, required=True, help="alerts a second")
        parser.add_argument("--shape", choices=shapes.SHAPES, default="steady")
        parser.add_argument(
            "--follow", action="store_true", help="wait for later escalation steps too"
        )
        parser.add_argument(
            "--keep", action="store_true", help="keep the rehearsal's incidents afterwards"
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=300.0,
            help="seconds to wait for the pages after driving (default 300: a first step's "
            "call often goes minutes after its text)",
        )
        parser.add_argument(
            "--concurrency", type=int, default=8, help="connections sending at once (default 8)"
        )
        parser.add_argument(
            "--out", default="rehearsals", help="where to write the reports (default rehearsals/)"
        )
        limits = parser.add_argument_group("thresholds")
        limits.add_argument(
            "--min-accepted-rate",
            type=float,
            help="alerts accepted a second, at least (default 0.9 x the planned mean rate)",
        )
        limits.add_argument("--max-errors", type=int, default=0, help="refused requests (0)")
        limits.add_argument(
            "--max-p99-first-page", type=float, default=30.0, help="seconds (default 30)"
        )
        limits.add_argument(
            "--max-p99-last-page",
            type=float,
            default=60.0,
            help="seconds until the first step's last page (default 60)",
        )
        limits.add_argument(
            "--max-p99-lateness",
            type=float,
            default=30.0,
            help="escalation lateness, seconds (default 30)",
        )
        limits.add_argument(
            "--max-unsettled", type=int, default=0, help="incidents unsettled at the end (0)"
        )
        limits.add_argument("--max-failed-pages", type=int, default=0, help="failed pages (0)")

    def handle(self, *args, **options):
        run = self._options(options)
        token, minted = self._token(options, run.url)
        try:
            try:
                outcome = rehearse(Client(run.url, token), run, stderr=self.stderr._out)
            except Unreachable as error:
                raise usage(str(error)) from None
            except ApiError as error:
                refused = f"the server refused the rehearsal ({error.status}): {error.message}"
                raise usage(refused) from None
        finally:
            if minted is not None:
                self._revoke(minted)
        for line in summary_lines(outcome.report):
            self.stdout.write(line)
        self.stdout.write(f"JSON report: {outcome.json_path}")
        self.stdout.write(f"HTML report: {outcome.html_path}")
        failed = [line["name"] for line in outcome.report["thresholds"] if not line["passed"]]
        if failed:
            raise CommandError(f"thresholds not held: {', '.join(failed)}", returncode=1)

    def _options(self, options) -> Options:
        """Check the options; raise a usage error (exit 2) naming the bad one."""
        url = (options["url"] or settings.PUBLIC_URL or "http://127.0.0.1:8000").rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise usage(f"--url must start with http:// or https://, not {url!r}")
        for name in ("alerts", "rate", "concurrency"):
            if options[name] < 1:
                raise usage(f"--{name} must be at least 1, not {options[name]}")
        if options["wait"] < 0:
            raise usage(f"--wait must not be negative, not {options['wait']:g}")
        limits = {
            name: options[name]
            for name in (
                "min_accepted_rate",
                "max_errors",
                "max_p99_first_page",
                "max_p99_last_page",
                "max_p99_lateness",
                "max_unsettled",
                "max_failed_pages",
            )
        }
        for name, value in limits.items():
            if value is not None and value < 0:
                flag = "--" + name.replace("_", "-")
                raise usage(f"{flag} must not be negative, not {value:g}")
        if limits["min_accepted_rate"] is None:
            limits["min_accepted_rate"] = 0.9 * shapes.mean_rate(options["shape"], options["rate"])
        return Options(
            url=url,
            service=options["service"],
            alerts=options["alerts"],
            rate=options["rate"],
            shape=options["shape"],
            follow=options["follow"],
            keep=options["keep"],
            wait=options["wait"],
            concurrency=options["concurrency"],
            out=Path(options["out"]),
            limits=limits,
        )

    def _token(self, options, url: str):
        """Return (token, the ApiToken minted for it or None)."""
        token = options["token"] or os.environ.get(TOKEN_ENV)
        if token:
            return token, None
        if url != settings.PUBLIC_URL.rstrip("/"):
            raise usage(
                f"--url {url} is not this installation (PUBLIC_URL): give --token (or set "
                f"{TOKEN_ENV}) with an admin-scope API token of that server"
            )
        # The local default, and the one place this command touches the server's own models:
        # a short-lived admin token for the first superuser, revoked at the end.
        from django.contrib.auth import get_user_model

        from oncall import clock
        from oncall.models import ApiToken
        from oncall.tokens import api_token_create

        admin = (
            get_user_model()
            .objects.filter(is_superuser=True, is_active=True)
            .order_by("pk")
            .first()
        )
        if admin is None:
            raise usage(
                f"no token: give --token (or set {TOKEN_ENV}) with an admin-scope API token; "
                "this database has no superuser to mint one for"
            )
        now = clock.now()
        minted, secret = api_token_create(
            user=admin,
            name="manage.py rehearse",
            scope=ApiToken.Scope.ADMIN,
            now=now,
            expires_at=now + LOCAL_TOKEN_LIFE,
        )
        return secret, minted

    def _revoke(self, minted) -> None:
        from oncall import clock
        from oncall.tokens import api_token_revoke

        api_token_revoke(token=minted, now=clock.now())
