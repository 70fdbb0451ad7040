"""Throttling per API token (or per user for a browser session): 429 with Retry-After."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from oncall.models import ApiToken


class PerTokenThrottle(SimpleRateThrottle):
    """PLANTAO_API_RATE requests (e.g. "1200/min") per token; a browser session counts per user."""

    scope = "token"

    def get_rate(self):
        # Read when asked, not at import, so the setting can change without a restart of tests.
        return settings.PLANTAO_API_RATE

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if isinstance(token, ApiToken):
            # The digest, not the id: ids come back after a database is made anew, digests don't.
            ident = f"token-{token.digest[:20]}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
