"""ASGI layers in front of Django: the request body is read here, in the event loop, bounded in
size and time, and a development key never answers on a non-loopback address."""

from __future__ import annotations

import asyncio
import ipaddress
import json

from django.conf import settings

# A body still arriving this long after its headers is given up on (408), so a client that
# dribbles one byte a minute cannot hold a connection slot for days.
BODY_SECONDS = 30.0


async def _answer(send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def is_loopback(host: str | None) -> bool:
    """Return whether `host` (an address, or "localhost") can only be reached from this machine."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def development_key_loopback_only(app):
    """Refuse (503) every request arriving on a non-loopback address while the key is a
    development one: with it, anyone who has read the source can forge signed links."""

    async def guarded(scope, receive, send):
        if scope["type"] == "http" and settings.SECRET_KEY_IS_DEVELOPMENT:
            host = (scope.get("server") or (None, None))[0]
            if not is_loopback(host):
                await _answer(
                    send,
                    503,
                    "development_secret_key",
                    "This server has a development SECRET_KEY and answers only on a loopback "
                    "address. Set SECRET_KEY in its environment.",
                )
                return
        await app(scope, receive, send)

    return guarded


async def _body_read(receive, limit: int) -> tuple[list[dict], bool] | None:
    """Return the body's messages up to `limit` + 1 bytes and whether it was cut there; None when
    the client went away."""
    messages, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        messages.append(message)
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, False
        if size > limit:
            return messages, True


def body_bounded(app):
    """Read each request body here, in the event loop, before Django sees it: at most one byte
    over DATA_UPLOAD_MAX_MEMORY_SIZE (the view then answers its own 413) and within BODY_SECONDS.

    Django's own read would spool a body of any size, however long it takes to arrive; a chunked
    body has no Content-Length to refuse it by.
    """

    async def bounded(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            read = await asyncio.wait_for(_body_read(receive, limit), BODY_SECONDS)
        except TimeoutError:
            await _answer(
                send,
                408,
                "request_timeout",
                f"The request body did not arrive within {BODY_SECONDS:.0f} s.",
            )
            return
        if read is None:
            return  # the client disconnected: nobody to answer
        messages, cut = read
        body = b"".join(message.get("body", b"") for message in messages)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body[: limit + 1], "more_body": False}
            while True:
                message = await receive()
                # The rest of a body cut short is dropped: Django expects only a disconnect now.
                if not (cut and message["type"] == "http.request"):
                    return message

        await app(scope, replay, send)

    return bounded
