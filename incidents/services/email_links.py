"""The acknowledge and resolve links in an e-mail page: secret, signed, expiring, good for one act.

A link carries the page, the action and a random secret made for that e-mail, signed with
SECRET_KEY, and works for LINK_LIFETIME. Only the secret's SHA-256 digest is stored (it is
random and long, so a plain hash is enough), so neither the signing key alone nor a copy of the
database is enough to make a link that works.
An acknowledge link works only while nobody has acknowledged the incident since the page was
sent (an acknowledgement that later timed out still counts), a resolve link only while the
incident is open. So each link acts at most once, with no table of used links to keep.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing

from incidents.models import EmailLinkKey, Incident, Page, TimelineEntry
from incidents.models.choices import Action

SALT = "plantao.email-action"
LINK_LIFETIME = timedelta(hours=24)
ACKNOWLEDGE, RESOLVE = Action.ACKNOWLEDGE.value, Action.RESOLVE.value
ACTIONS = (ACKNOWLEDGE, RESOLVE)


class LinkInvalid(Exception):
    """A link that was tampered with, has expired, or no longer applies; `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Link:
    page: Page
    action: str  # Action.ACKNOWLEDGE | Action.RESOLVE


NOT_OURS = "This link is not one Plantão sent, or it was cut short."


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def action_urls(page: Page, *, now: datetime) -> dict[str, str]:
    """Return the acknowledge and resolve links of one e-mail for `page`, by action.

    Each call makes a new secret (kept only as its digest), shared by that e-mail's links.
    """
    return action_urls_many([page], now=now)[page.pk]


def action_urls_many(pages: list[Page], *, now: datetime) -> dict[int, dict[str, str]]:
    """Return the links of one e-mail for each of `pages`, by page id then action: a secret
    each, their digests stored in one INSERT."""
    secrets_ = {page.pk: secrets.token_urlsafe(32) for page in pages}
    EmailLinkKey.objects.bulk_create(
        EmailLinkKey(page=page, digest=_digest(secrets_[page.pk]), created_at=now) for page in pages
    )
    return {
        pk: {
            action: f"{settings.PUBLIC_URL}/email/"
            + signing.dumps({"p": pk, "a": action, "k": secret}, salt=SALT, compress=False)
            + "/"
            for action in ACTIONS
        }
        for pk, secret in secrets_.items()
    }


def _secret_matches(page: Page, secret) -> bool:
    if not isinstance(secret, str) or not secret:
        return False
    offered = _digest(secret)
    found = False
    # Every key of the page is compared, in constant time, whatever matched before.
    for digest in page.email_link_keys.values_list("digest", flat=True):
        found |= hmac.compare_digest(digest, offered)
    return found


def link_read(token: str, *, now: datetime) -> Link:
    """Return what `token` may do now, or raise LinkInvalid saying why it may not."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LINK_LIFETIME)
    except signing.SignatureExpired as error:
        raise LinkInvalid("This link has expired; links in a page work for 24 hours.") from error
    except signing.BadSignature as error:
        raise LinkInvalid(NOT_OURS) from error
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        raise LinkInvalid(NOT_OURS)
    page = (
        Page.objects.select_related("incident", "person").filter(pk=data["p"], kind="email").first()
    )
    if page is None or data.get("a") not in ACTIONS or not _secret_matches(page, data.get("k")):
        raise LinkInvalid(NOT_OURS)
    incident = page.incident
    if not incident.is_open:
        raise LinkInvalid(f"#{incident.number} is already resolved.")
    if data["a"] == ACKNOWLEDGE and (
        incident.status != Incident.Status.TRIGGERED
        or incident.timeline.filter(
            kind=TimelineEntry.Kind.ACKNOWLEDGED, at__gte=page.created_at
        ).exists()
    ):
        raise LinkInvalid(
            f"#{incident.number} was acknowledged since this page; this link is spent."
        )
    return Link(page, data["a"])
