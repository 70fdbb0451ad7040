"""A local stand-in for another tool's REST API: GET routes answering JSON, a token checked.

Each importer's fake (fake_<tool>.py) gives the routes; tests get its base URL. Nothing here
reaches the internet.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# A route answers (path, query) with (status, JSON body); query values are lists, as parse_qs
# gives them.
Route = Callable[[str, dict[str, list[str]]], tuple[int, object]]


class FakeApi:
    def __init__(self, route: Route, authorized: Callable[[dict[str, str]], bool]):
        self.route = route
        self.authorized = authorized
        self.requests: list[str] = []  # the paths asked, in order
        self.url = ""


@contextmanager
def serving(api: FakeApi) -> Iterator[FakeApi]:
    """Serve `api` on 127.0.0.1 for the duration of the block; its base URL is `api.url`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            parts = urlsplit(self.path)
            api.requests.append(parts.path)
            if not api.authorized(dict(self.headers.items())):
                status, body = 401, {"message": "Unauthorized"}
            else:
                status, body = api.route(parts.path, parse_qs(parts.query))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
