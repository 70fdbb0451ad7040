"""Bearer-token authentication for the REST API."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from rest_framework import authentication, exceptions

from oncall import clock
from oncall.models import ApiToken
from oncall.models.tokens import api_token_digest

# last_used_at is written at most this often per token: one UPDATE a minute, not one a request.
LAST_USED_GRAIN = timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`; the token is looked up by its digest only."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, token = header.partition(" ")
        if keyword.lower() != self.keyword.lower():
            return None
        token = token.strip()
        if not token or " " in token:
            raise exceptions.AuthenticationFailed("Give one token: Authorization: Bearer <token>.")
        return self._user_for(token)

    def _user_for(self, token: str):
        now = clock.now()
        found = (
            ApiToken.objects.select_related("user").filter(digest=api_token_digest(token)).first()
        )
        if found is None:
            raise exceptions.AuthenticationFailed("The token is not valid.")
        if found.revoked_at is not None:
            raise exceptions.AuthenticationFailed("The token was revoked.")
        if not found.is_usable(now):
            raise exceptions.AuthenticationFailed("The token has expired.")
        if not found.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is inactive.")
        if found.last_used_at is None or found.last_used_at < now - LAST_USED_GRAIN:
            ApiToken.objects.filter(pk=found.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_GRAIN)
            ).update(last_used_at=now)
        return found.user, found

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
