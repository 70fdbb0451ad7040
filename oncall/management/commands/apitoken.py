from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from oncall import clock
from oncall.models import ApiToken
from oncall.tokens import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Make, list or revoke REST API tokens (the secret is shown once, when made)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser("create", help="a new token, shown once on the last line")
        create.add_argument("username")
        create.add_argument("--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.READ)
        create.add_argument("--name", default="cli", help="what the token is for")
        create.add_argument("--expires-days", type=int, default=None, help="expire after N days")
        listing = actions.add_parser("list", help="one line per token, never its secret")
        listing.add_argument("username", nargs="?")
        revoke = actions.add_parser("revoke", help="revoke a token by its ID (see list)")
        revoke.add_argument("id", type=int)

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _create(self, *, username, scope, name, expires_days, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be 1 or more.")
        now = clock.now()
        try:
            token, secret = api_token_create(
                user=user,
                name=name,
                scope=scope,
                now=now,
                expires_at=now + timedelta(days=expires_days) if expires_days else None,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"{self._line(token)}\nShown once; keep it safe:")
        self.stdout.write(secret)

    def _list(self, *, username, **options):
        tokens = ApiToken.objects.select_related("user")
        if username:
            tokens = tokens.filter(user__username=username)
        for token in tokens:
            self.stdout.write(self._line(token))

    def _revoke(self, *, id, **options):
        token = ApiToken.objects.select_related("user").filter(pk=id).first()
        if token is None:
            raise CommandError(f"No token with ID {id}.")
        api_token_revoke(token=token, now=clock.now())
        self.stdout.write(self._line(token))

    def _line(self, token: ApiToken) -> str:
        expiry = (
            f"expires {token.expires_at:%Y-%m-%d %H:%M %Z}" if token.expires_at else "no expiry"
        )
        state = f"  revoked {token.revoked_at:%Y-%m-%d %H:%M %Z}" if token.revoked_at else ""
        return (
            f"{token.pk}  {token.name}  {token.user.get_username()}  {token.scope}  {expiry}{state}"
        )
