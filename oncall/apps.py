from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "oncall"
    verbose_name = "On call"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from oncall import (
            audited,
            checks,  # noqa: F401 - registers the start-up checks
            signals,
        )

        signals.connect()
        audited.connect()
