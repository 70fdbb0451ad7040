"""Start the web tier (`python -m oncall.config.web`, the Procfile's `web`): uvicorn serving
oncall.config.asgi, configured from the environment.

An event loop per worker reads every request, headers and body, before Django runs a view, so
slow or idle clients cost a socket each, not a worker. Environment: BIND_ADDRESS (127.0.0.1),
PORT (8000), WEB_CONCURRENCY (2 worker processes), WEB_MAX_CONNECTIONS (1000 per worker; beyond
it a request gets 503), WEB_KEEP_ALIVE_SECONDS (5), WEB_SHUTDOWN_SECONDS (20), WEB_ACCESS_LOG
(on; the benchmarks turn it off).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from oncall.config.gates import is_loopback

# A connection must have sent a whole request line and headers this soon after it opened, or
# after its previous response; else it is closed. Real clients send them in one packet.
HEADER_SECONDS = 10.0
SETTINGS_MODULE = "oncall.config.settings.local"


def nodelay(transport) -> None:
    """Send each write at once (TCP_NODELAY). asyncio does so itself only for a socket it knows
    to be TCP; the listening socket uvicorn hands to its worker processes comes back with no
    protocol number, so their connections kept Nagle's delay: a response written as headers,
    then body, waited for the client's delayed ACK, some 40 ms a request."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


# A worker holding connections waits this long per connection held (at most ACCEPT_DEFER_MAX)
# before it accepts another, so that a worker holding fewer takes it first.
ACCEPT_DEFER_SECONDS, ACCEPT_DEFER_MAX = 0.0002, 0.001


class BalancedAcceptLoop(asyncio.SelectorEventLoop):
    """asyncio's event loop, accepting so that the workers share a burst of new connections.

    uvicorn's workers all wait on one listening socket, and asyncio's loop accepts every
    connection waiting when it wakes. A sender that opens its keep-alive connections at once
    (Alertmanager, a proxy's pool) had them all on the first worker to wake, which then used its
    core while the other idled: in bench/bench_ingest.py, 4 of 4 connections, or 7 of 8, on one
    worker, and the Alertmanager batches at 5,100-5,600 alerts/s where an even split did 8,000
    and more. Here a worker accepts one connection at a time, and one that already holds
    connections waits a fraction of a millisecond first (ACCEPT_DEFER_SECONDS a connection,
    at most ACCEPT_DEFER_MAX): an idle worker takes the connection meanwhile. The listen
    backlog is unchanged (uvicorn's, 2048).
    """

    def _accept_connection(self, protocol_factory, sock, sslcontext=None, server=None, *rest):
        held = getattr(server, "_active_count", 0)
        if not held:
            super()._accept_connection(protocol_factory, sock, sslcontext, server, 1, *rest[1:])
            return
        self._remove_reader(sock.fileno())
        delay = min(ACCEPT_DEFER_MAX, held * ACCEPT_DEFER_SECONDS)
        args = (protocol_factory, sock, sslcontext, server, rest)
        self.call_later(delay, self._accept_deferred, *args)

    def _accept_deferred(self, protocol_factory, sock, sslcontext, server, rest) -> None:
        if sock.fileno() == -1 or (server is not None and not server.is_serving()):
            return  # closed meanwhile
        super()._accept_connection(protocol_factory, sock, sslcontext, server, 1, *rest[1:])
        self._start_serving(protocol_factory, sock, sslcontext, server, *rest)


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for the request headers, which uvicorn lacks: a
    client that connects and says nothing, or sends its headers a byte at a time, is closed."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        nodelay(transport)
        self._header_deadline = self.loop.call_later(HEADER_SECONDS, self._header_deadline_passed)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._header_deadline.cancel()  # the headers are in: the body has its own deadline

    def on_response_complete(self) -> None:
        self._header_deadline.cancel()
        self._header_deadline = self.loop.call_later(HEADER_SECONDS, self._header_deadline_passed)
        super().on_response_complete()

    def connection_lost(self, exc) -> None:
        self._header_deadline.cancel()
        super().connection_lost(exc)

    def _header_deadline_passed(self) -> None:
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def log_config() -> dict:
    """Return uvicorn's logging set-up with every line, the access log's included, redacted."""
    from uvicorn.config import LOGGING_CONFIG

    config = {key: dict(value) for key, value in LOGGING_CONFIG.items() if isinstance(value, dict)}
    config.update(version=1, disable_existing_loggers=False)
    config["filters"] = {"redact_secrets": {"()": "oncall.redaction.RedactSecrets"}}
    config["handlers"] = {
        name: {**handler, "filters": ["redact_secrets"]}
        for name, handler in LOGGING_CONFIG["handlers"].items()
    }
    return config


def bind_refusal(host: str, *, development_key: bool) -> str | None:
    """Return why the web tier must not listen on `host`, or None when it may."""
    if not development_key:
        return None
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        addresses = {host}
    if addresses and all(is_loopback(address) for address in addresses):
        return None
    return (
        f"Refusing to serve on {host}: SECRET_KEY is a development key (it is not set in the "
        "environment), and anyone who can reach this address could forge signed links with it. "
        "Set SECRET_KEY (e.g. to the output of `python -c 'import secrets; "
        "print(secrets.token_urlsafe(50))'`), or bind to 127.0.0.1."
    )


def main(app: str = "oncall.config.asgi:application", factory: bool = False) -> None:
    """Check the bind address against the key, then serve `app` until told to stop (SIGTERM or
    SIGINT: requests in flight get WEB_SHUTDOWN_SECONDS to finish)."""
    import uvicorn
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    # Each request runs in a thread of its own: connections come from a pool (settings/base.py).
    os.environ.setdefault("PLANTAO_DB_POOL", "on")
    host = os.environ.get("BIND_ADDRESS") or "127.0.0.1"
    try:
        refusal = bind_refusal(host, development_key=settings.SECRET_KEY_IS_DEVELOPMENT)
    except ImproperlyConfigured as error:
        sys.exit(f"The web server cannot start: {error}")
    if refusal:
        sys.exit(refusal)
    uvicorn.run(
        app,
        factory=factory,
        host=host,
        port=int(os.environ.get("PORT") or 8000),
        workers=int(os.environ.get("WEB_CONCURRENCY") or 2),
        http="oncall.config.web:HeaderDeadlineProtocol",
        loop="oncall.config.web:BalancedAcceptLoop",
        lifespan="off",  # Django has no lifespan events
        limit_concurrency=int(os.environ.get("WEB_MAX_CONNECTIONS") or 1000),
        timeout_keep_alive=int(os.environ.get("WEB_KEEP_ALIVE_SECONDS") or 5),
        timeout_graceful_shutdown=int(os.environ.get("WEB_SHUTDOWN_SECONDS") or 20),
        log_config=log_config(),
        access_log=os.environ.get("WEB_ACCESS_LOG", "on").lower() not in ("off", "0", "false"),
    )


if __name__ == "__main__":
    main()
