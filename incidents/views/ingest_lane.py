"""The web tier's ingest lane: the ingest URLs (CONTRACT.md "Inbound endpoints") answered in front
of Django's handler and middleware, with one hop, to the process's ingest thread and back.

The lane takes a request to an ingest URL (found by Django's own URL resolver, so both forms of
each path, with and without the slash, are the lane's), checks and stores it with the view's own
`*_take` (views/ingest.py) in a group commit (services/group_commit.py), and answers it. Of what
the middleware does, it keeps what these URLs need: the Host check (ALLOWED_HOSTS), the security
headers, the audit context (source "monitoring"), Content-Length. It skips what they do not:
sessions, messages, CSRF, sign-in and its lockout, static files, the template machinery, and
Django's per-request signals (the ingest thread keeps its own database connection; the ingest
counters are written after each group).

PLANTAO_INGEST_LANE=off leaves these URLs to Django's handler, one transaction per request.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from functools import partial

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import Resolver404, get_resolver

from incidents.services.group_commit import GroupCommit, Ran
from incidents.tallies import ACCUMULATOR, ingest_commits_count, ingest_count
from incidents.views.ingest import TAKES
from oncall.audit import request_acting

log = logging.getLogger(__name__)

PREFIXES = ("/integrations/", "/v2/enqueue")
_committer: GroupCommit | None = None


def _counted(ran: Ran) -> None:
    ingest_commits_count(ran.commits, ran.writes)
    ACCUMULATOR.flush_due()


def committer() -> GroupCommit:
    """Return this process's group commit (its ingest threads start with the first request)."""
    global _committer
    if _committer is None:
        _committer = GroupCommit(
            window=settings.PLANTAO_INGEST_GROUP_MS / 1000,
            most=settings.PLANTAO_INGEST_GROUP_MAX,
            after_batch=_counted,
            writers=settings.PLANTAO_INGEST_WRITERS,
            most_bytes=settings.PLANTAO_INGEST_GROUP_BYTES,
        )
    return _committer


def _take_of(path_info: str):
    """Return (take, kind, kwargs) for an ingest URL, or None for any other path."""
    if not path_info.startswith(PREFIXES):
        return None
    try:
        match = get_resolver().resolve(path_info)
    except Resolver404:
        return None
    found = TAKES.get(match.func)
    if found is None:
        return None
    take, kind = found
    return take, kind or match.kwargs.get("kind", ""), match.kwargs


async def _body(receive) -> bytes | None:
    """Return the request body (the gates have bounded it), or None if the client went away."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _json(status: int, code: str, message: str) -> tuple[int, list, bytes]:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return status, [(b"Content-Type", b"application/json")], body


async def _send(send, status: int, headers: list, body: bytes) -> None:
    headers = [*headers, (b"Content-Length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def ingest_lane(app):
    """Return `app` (Django's ASGI application) with the ingest URLs answered in front of it."""
    security = SecurityMiddleware(lambda request: None)
    frames = XFrameOptionsMiddleware(lambda request: None)

    async def lane(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        root = scope.get("root_path", "")
        path_info = scope["path"].removeprefix(root) if root else scope["path"]
        found = _take_of(path_info)
        if found is None:
            await app(scope, receive, send)
            return
        take, kind, kwargs = found
        body = await _body(receive)
        if body is None:
            return  # the client disconnected: nobody to answer, nothing stored
        request = ASGIRequest(scope, io.BytesIO(body))
        try:
            request.get_host()
        except DisallowedHost:
            await _send(send, *_json(400, "bad_host", "This server does not answer for that Host."))
            return
        with request_acting(request):
            future = committer().submit(partial(take, request, **kwargs), size=len(body))
        try:
            response = await asyncio.wrap_future(future)
        except Exception:  # noqa: BLE001 - logged without the URL, which holds the token
            log.exception("An ingest request (%s) failed", kind)
            ingest_count(kind, None)
            await _send(send, *_json(500, "server_error", "The alert could not be stored; retry."))
            return
        ingest_count(kind, response)
        response = frames.process_response(request, security.process_response(request, response))
        headers = [(k.encode("latin1"), v.encode("latin1")) for k, v in response.items()]
        await _send(send, response.status_code, headers, response.content)

    return lane
