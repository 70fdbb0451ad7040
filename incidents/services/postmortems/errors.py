"""What a postmortem service refuses, each with a sentence for a person (str(error)).

Field validation problems raise django.core.exceptions.ValidationError with a field dict instead.
"""

from __future__ import annotations


class PostmortemError(Exception):
    """A postmortem service refused; str(error) says why, for a person."""


class IncidentAlreadyInPostmortem(PostmortemError):
    def __init__(self, incident, postmortem):
        super().__init__(
            f"#{incident.number} is already in the postmortem “{postmortem.title}”; "
            "an incident has one postmortem."
        )
        self.incident = incident
        self.postmortem = postmortem


class IncidentsOfSeveralTeams(PostmortemError):
    def __init__(self, teams=()):
        names = ", ".join(sorted(str(team) for team in teams))
        super().__init__(
            "A postmortem is about the incidents of one team"
            + (f"; these belong to {names}." if names else ".")
        )


class PostmortemReadOnly(PostmortemError):
    def __init__(self, postmortem=None):
        super().__init__("This postmortem is published: only its action items may change now.")
        self.postmortem = postmortem


class StaleRevision(PostmortemError):
    """Someone saved the postmortem since this edit began: `current` is the revision now."""

    def __init__(self, current: int):
        super().__init__(
            f"Someone else saved this postmortem meanwhile (it is at revision {current}); "
            "reload it, then make the change again."
        )
        self.current = current


class InvalidTransition(PostmortemError):
    """A review step that the postmortem's status (or its reviewers) does not allow now."""


class NotAReviewer(PostmortemError):
    def __init__(self, person=None):
        who = person.display_name if person is not None else "Nobody"
        super().__init__(f"{who} was not asked to review this postmortem.")
        self.person = person


class DraftedEntryKept(PostmortemError):
    def __init__(self):
        super().__init__(
            "An entry drafted from the incident's record is hidden, not deleted; "
            "only entries added by hand are deleted."
        )
