from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from incidents.models import Integration, Service
from incidents.services.integrations import (
    ROTATE_GRACE_MAX,
    integration_create,
    integration_rotate,
    integration_url,
    tokens_forgotten_everywhere,
)
from oncall import clock


def _problems(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(" ".join(messages) for messages in error.message_dict.values())
    return " ".join(error.messages)


class Command(BaseCommand):
    help = (
        "Make an integration and print its URL and token (`integration create --service NAME "
        "--kind KIND`), or give it a new token (`integration rotate --id N`)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser("create", help="a new integration of a service")
        create.add_argument("--service", required=True, help="the service's name, e.g. cdn")
        create.add_argument("--kind", required=True, choices=Integration.Kind.values)
        create.add_argument("--name", default="", help="what sends to it, e.g. prod-alertmanager")
        create.add_argument(
            "--interval",
            type=int,
            help="heartbeat only: seconds without a ping before paging (default 300)",
        )
        rotate = actions.add_parser("rotate", help="a new token; the old one works for a while")
        rotate.add_argument(
            "--id", dest="integration_id", type=int, required=True, help="the integration's id"
        )
        rotate.add_argument(
            "--grace-hours",
            type=float,
            default=24,
            help="how long the old token keeps working (default 24; 0 stops it at once)",
        )

    def handle(self, *args, action, **options):
        if action == "create":
            self._create(**options)
        else:
            self._rotate(**options)

    def _create(self, *, service, kind, name, interval, **options):
        found = Service.objects.filter(name=service).first()
        if found is None:
            known = ", ".join(Service.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No service named {service!r}; known services: {known}.")
        try:
            integration, token = integration_create(
                service=found, kind=kind, name=name, heartbeat_interval_seconds=interval
            )
        except ValidationError as error:
            raise CommandError(_problems(error)) from error
        self.stdout.write(
            f"Created {integration.get_kind_display()} integration {integration.pk} "
            f"for service {found.name}."
        )
        self._show(integration, token)
        if integration.kind == Integration.Kind.HEARTBEAT:
            self.stdout.write(
                f"Ping it (GET or POST) at least every {integration.heartbeat_interval_seconds} "
                "seconds, or an incident opens."
            )

    def _rotate(self, *, integration_id, grace_hours, **options):
        found = Integration.objects.select_related("service").filter(pk=integration_id)
        integration = found.first()
        if integration is None:
            raise CommandError(f"No integration with id {integration_id}.")
        most = ROTATE_GRACE_MAX.days * 24
        if not 0 <= grace_hours <= most:
            raise CommandError(f"--grace-hours must be from 0 to {most}.")
        token = integration_rotate(
            integration=integration, grace=timedelta(hours=grace_hours), now=clock.now()
        )
        self.stdout.write(
            f"New token for {integration.get_kind_display()} integration {integration.pk} "
            f"of service {integration.service.name}."
        )
        self._show(integration, token)
        if integration.previous_valid_until:
            until = integration.previous_valid_until.strftime("%Y-%m-%d %H:%M UTC")
            self.stdout.write(f"The old token keeps working until {until}.")
        else:
            # Web processes remember a recognised token for a moment; say so only once it is true.
            tokens_forgotten_everywhere()
            self.stdout.write("The old token no longer works.")

    def _show(self, integration: Integration, token: str) -> None:
        self.stdout.write(f"URL:   {integration_url(integration, token)}")
        label = "Routing key" if integration.kind == Integration.Kind.PAGERDUTY else "Token"
        self.stdout.write(f"{label}: {token}")
        self.stdout.write("The token is shown once; store it now.")
