"""What one text or call carried: the pages noise control sent together (noise.bundle_claim),
which all got the provider's id for the send. What the provider reports of the send, it reports
of each of them.

Twilio names one page, the first, in a call's URL and in the status callback URL: the others are
found by the send's provider id.
"""

from __future__ import annotations

from datetime import datetime

from incidents.models import Page
from incidents.services.pages import page_status


def bundle_pages(page: Page, *, provider_id: str = "") -> list[Page]:
    """Return `page` and the other pages its send carried: those of its kind, to its address,
    with its provider id (or, while the send is not recorded yet, `provider_id`, the provider's
    word for it)."""
    sent_as = page.provider_id or provider_id
    if not sent_as:
        return [page]
    others = (
        Page.objects.filter(kind=page.kind, address=page.address, provider_id=sent_as)
        .exclude(pk=page.pk)
        .select_related("incident__service", "person")
        .order_by("id")
    )
    return [page, *others]


def bundle_status(
    *, page_id: int, provider_id: str, status: str, error_code: str, now: datetime
) -> str | None:
    """Apply a provider's status callback about the send of page `page_id` to every page that
    send carried (a call nobody answered fails each, and each incident's next contact method
    goes at once); return the named page's new state, as page_status does."""
    page = Page.objects.filter(pk=page_id).first()
    if page is None or (page.provider_id and provider_id and page.provider_id != provider_id):
        return None  # another send's news: page_status takes nothing from it either
    state = page_status(
        page_id=page.pk, provider_id=provider_id, status=status, error_code=error_code, now=now
    )
    for other in bundle_pages(page, provider_id=provider_id)[1:]:
        page_status(
            page_id=other.pk, provider_id=provider_id, status=status, error_code=error_code, now=now
        )
    return state
