"""Review: draft -> in review (with reviewers of the team) -> published; or back to draft."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.models import Postmortem, PostmortemReviewer
from oncall.audit import audit_bulk_created
from oncall.models import Membership, Person

from .common import acting_as, aware, locked, refresh, team_member
from .errors import InvalidTransition, NotAReviewer, PostmortemReadOnly

Status = Postmortem.Status


def _expect(row: Postmortem, status: str, doing: str) -> None:
    if row.status == status:
        return
    if row.status == Status.PUBLISHED:
        raise PostmortemReadOnly(row)
    raise InvalidTransition(
        f"Only a postmortem {Status(status).label.lower()} can be {doing}; "
        f"this one is {row.get_status_display().lower()}."
    )


def _moved(row: Postmortem, status: str, *, now: datetime, extra: tuple = ()) -> Postmortem:
    row.status = status
    row.updated_at = now
    row.save(update_fields=["status", "updated_at", *extra])
    return row


def postmortem_request_review(
    *, postmortem: Postmortem, by: Person | None, now: datetime, reviewers: Sequence[Person]
) -> Postmortem:
    """Send a draft for review by `reviewers` (at least one, each in the postmortem's team).
    Reviewers from an earlier round who are asked again must approve again."""
    aware(now, "now")
    with acting_as(by), transaction.atomic():
        row = locked(postmortem)
        _expect(row, Status.DRAFT, "sent for review")
        people = {}
        for person in reviewers or ():
            people[team_member(person, row.team_id, "reviewers").pk] = person
        if not people:
            raise ValidationError({"reviewers": "Ask at least one person of the team to review."})
        for reviewer in row.reviewers.all():
            if reviewer.person_id not in people:
                reviewer.delete()
            elif reviewer.approved_at is not None:
                reviewer.approved_at = None
                reviewer.requested_at = now
                reviewer.save(update_fields=["approved_at", "requested_at"])
        asked = set(row.reviewers.values_list("person_id", flat=True))
        new = [
            PostmortemReviewer(postmortem=row, person=person, requested_at=now)
            for pk, person in people.items()
            if pk not in asked
        ]
        PostmortemReviewer.objects.bulk_create(new)
        audit_bulk_created(new)
        _moved(row, Status.IN_REVIEW, now=now)
    return refresh(postmortem, row)


def postmortem_approve(*, postmortem: Postmortem, by: Person | None, now: datetime) -> Postmortem:
    """Record that `by`, a requested reviewer, approves the postmortem in review."""
    aware(now, "now")
    with acting_as(by), transaction.atomic():
        row = locked(postmortem)
        _expect(row, Status.IN_REVIEW, "approved")
        reviewer = row.reviewers.filter(person=by).first() if by is not None else None
        if reviewer is None:
            raise NotAReviewer(by)
        if reviewer.approved_at is None:
            reviewer.approved_at = now
            reviewer.save(update_fields=["approved_at"])
            row.updated_at = now
            row.save(update_fields=["updated_at"])
    return refresh(postmortem, row)


def postmortem_return_to_draft(
    *, postmortem: Postmortem, by: Person | None, now: datetime
) -> Postmortem:
    """Take a postmortem in review back to draft; its approvals so far no longer count."""
    aware(now, "now")
    with acting_as(by), transaction.atomic():
        row = locked(postmortem)
        _expect(row, Status.IN_REVIEW, "returned to draft")
        for reviewer in row.reviewers.filter(approved_at__isnull=False):
            reviewer.approved_at = None
            reviewer.save(update_fields=["approved_at"])
        _moved(row, Status.DRAFT, now=now)
    return refresh(postmortem, row)


def _admin(by: Person | None, team_id: int) -> bool:
    if by is None:
        return False
    if by.user.is_superuser:
        return True
    return Membership.objects.filter(
        person=by, team_id=team_id, role=Membership.Role.ADMIN
    ).exists()


def postmortem_publish(*, postmortem: Postmortem, by: Person | None, now: datetime) -> Postmortem:
    """Publish a postmortem in review once every reviewer approved it (a team admin may publish
    before). Published is final: only its action items change afterwards."""
    aware(now, "now")
    with acting_as(by), transaction.atomic():
        row = locked(postmortem)
        _expect(row, Status.IN_REVIEW, "published")
        waiting = [
            r.person.display_name
            for r in row.reviewers.select_related("person").filter(approved_at__isnull=True)
        ]
        if waiting and not _admin(by, row.team_id):
            raise InvalidTransition(
                f"Not every reviewer approved yet (waiting for {', '.join(sorted(waiting))}); "
                "a team admin may publish it anyway."
            )
        row.published_at = now
        _moved(row, Status.PUBLISHED, now=now, extra=("published_at",))
    return refresh(postmortem, row)
