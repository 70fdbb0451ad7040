"""Start-up checks: a paging system must refuse to start misconfigured, not fail at 3 a.m."""

from django.conf import settings
from django.core import checks

from oncall.channels.registry import CHANNELS


@checks.register()
def channel_check(app_configs, **kwargs):
    """Refuse an unknown PLANTAO_CHANNEL at start-up rather than at the first page."""
    if settings.PLANTAO_CHANNEL not in CHANNELS:
        return [
            checks.Error(
                f"PLANTAO_CHANNEL={settings.PLANTAO_CHANNEL!r} is not a channel.",
                hint=f"Use one of: {', '.join(CHANNELS)}.",
                id="oncall.E001",
            )
        ]
    return []
