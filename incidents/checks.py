"""Start-up checks for settings the engine depends on."""

from django.conf import settings
from django.core import checks

from incidents.services.doorbell import MAX_COUNTDOWN


@checks.register()
def visibility_timeout_check(app_configs, **kwargs):
    """Refuse a broker visibility timeout that a countdown could outlive (early redelivery)."""
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout")
    if timeout is not None and timeout <= 2 * MAX_COUNTDOWN.total_seconds():
        return [
            checks.Error(
                f"The broker's visibility timeout ({timeout} s) must be more than twice the "
                f"engine's longest countdown ({MAX_COUNTDOWN.total_seconds():.0f} s).",
                id="incidents.E001",
            )
        ]
    return []
