from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from incidents import (
            audited,
            checks,  # noqa: F401 - registers the start-up checks
            listeners,
            postmortem_panels,
            signals,
            tallies,
            uses,
        )

        signals.connect()
        audited.connect()
        listeners.connect()
        uses.connect()
        postmortem_panels.connect()
        tallies.connect()
