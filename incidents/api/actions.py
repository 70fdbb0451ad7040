"""The request bodies of the incident actions, and how an action's outcome is answered.

Every action goes through incident_act, the one service every entry point calls (SMS, calls,
Slack, e-mail links, the API), so the API acts exactly as a reply to a page would.
"""

from __future__ import annotations

from rest_framework import exceptions, serializers

from incidents.services.acts import NOTE_MAX
from incidents.services.incidents import SNOOZE_MINUTES
from oncall.models import Person


class NoChange(exceptions.APIException):
    """The action found nothing to do (acknowledging an acknowledged incident): 409, and
    nothing was added."""

    status_code = 409
    default_code = "conflict"
    default_detail = "Nothing to do."


class SnoozeBody(serializers.Serializer):
    minutes = serializers.IntegerField(
        min_value=SNOOZE_MINUTES[0],
        max_value=SNOOZE_MINUTES[1],
        help_text="Minutes until the incident triggers again and pages from its first step.",
    )


class PersonBody(serializers.Serializer):
    person = serializers.IntegerField(min_value=1, help_text="A person's id.")

    def validate_person(self, value):
        # Only people of the teams the caller holds a role in: no one else is named to them.
        person = self.context["people"].filter(pk=value).first()
        if person is None:
            raise serializers.ValidationError("There is no such person in your teams.")
        return person


class NoteBody(serializers.Serializer):
    text = serializers.CharField(max_length=NOTE_MAX, help_text="What to note, for the team.")


def people_visible(team_ids) -> object:
    """Return the people who belong to any of `team_ids`."""
    return Person.objects.filter(memberships__team_id__in=team_ids).distinct()
