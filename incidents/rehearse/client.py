"""The rehearsal API (/api/v1/rehearsals/) as the command uses it, over plain HTTP with an admin
token, so a remote Plantão is rehearsed exactly as the local one."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import quote, urlsplit

API = "/api/v1/rehearsals/"


class Unreachable(Exception):
    """The server could not be reached, or answered something that is not the API."""


class ApiError(Exception):
    """The API refused a request; `message` says why, as the server said it."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def _reason(status: int, body: object) -> str:
    """Pull the server's explanation out of an error body (DRF's detail or field errors)."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        fields = error.get("fields") or {}
        named = "; ".join(
            f"{field}: {' '.join(map(str, problems)) if isinstance(problems, list) else problems}"
            for field, problems in fields.items()
        )
        return " ".join(filter(None, [str(error.get("message") or ""), named])) or f"HTTP {status}"
    if isinstance(body, dict):
        if "detail" in body:
            return str(body["detail"])
        return "; ".join(
            f"{field}: {' '.join(map(str, errors)) if isinstance(errors, list) else errors}"
            for field, errors in body.items()
        )
    return f"HTTP {status}"


class Client:
    """Talk to the rehearsal API of the Plantão at `url` with the bearer token `token`."""

    def __init__(self, url: str, token: str, *, timeout: float = 60.0):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--url must be an http(s) URL, not {url!r}")
        self.url = url.rstrip("/")
        self.base = parts.path.rstrip("/")
        self._parts = parts
        self._token = token
        self._timeout = timeout

    def call(self, method: str, path: str, body: dict | None = None) -> object:
        """Send one API request; return its decoded JSON, or raise ApiError / Unreachable."""
        kind = (
            http.client.HTTPSConnection
            if self._parts.scheme == "https"
            else http.client.HTTPConnection
        )
        connection = kind(self._parts.hostname, self._parts.port, timeout=self._timeout)
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, self.base + path, data, headers)
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise Unreachable(f"cannot reach {self.url}: {error}") from error
        finally:
            connection.close()
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = None
            if response.status < 400:
                raise Unreachable(
                    f"{self.url}{path} did not answer JSON (HTTP {response.status}): "
                    "is this a Plantão?"
                ) from None
        if response.status >= 400:
            raise ApiError(response.status, _reason(response.status, decoded))
        return decoded

    def create(self, **fields) -> dict:
        """Start a rehearsal; return it, with its ingest paths."""
        return self.call("POST", API, fields)

    def get(self, rehearsal_id: int) -> dict:
        return self.call("GET", f"{API}{rehearsal_id}/")

    def finish(self, rehearsal_id: int, *, report: dict, passed: bool) -> dict:
        """Finish a rehearsal (its open incidents resolved) and store its report."""
        body = {"finished": True, "report": report, "passed": passed}
        return self.call("PATCH", f"{API}{rehearsal_id}/", body)

    def remove(self, rehearsal_id: int) -> object:
        """Delete a rehearsal's incidents and what the rehearsal channel recorded of them."""
        return self.call("POST", f"{API}{rehearsal_id}/remove/", {})

    def listing(self, *, service: str | None = None) -> list[dict]:
        """Return the rehearsals, newest first (of one real service if given)."""
        query = f"?service={quote(service)}" if service else ""
        found = self.call("GET", f"{API}{query}")
        if isinstance(found, dict):
            return found.get("results") or []
        return found or []

    def previous(self, *, current: dict) -> dict | None:
        """Return the report of the newest earlier rehearsal of the same service, if any."""
        for rehearsal in self.listing(service=current.get("rehearsal_of")):
            if rehearsal.get("id") != current["id"] and rehearsal.get("report"):
                return rehearsal["report"]
        return None

    def wait_settled(
        self,
        rehearsal_id: int,
        *,
        incidents: int,
        wait: float,
        every: float = 2.0,
        progress=None,
        clock=time.monotonic,
        sleep=time.sleep,
    ) -> dict:
        """Poll until the server holds `incidents` incidents, every one settled (its first
        step's pages, or every fired step's with --follow, sent or given up), or `wait` seconds
        pass; return the rehearsal as last read."""
        deadline = clock() + wait
        while True:
            detail = self.get(rehearsal_id)
            state = detail.get("progress") or {}
            if progress is not None:
                progress(state.get("incidents_settled", 0), incidents)
            settled = state.get("incidents", 0) >= incidents and state.get(
                "incidents_settled", 0
            ) >= state.get("incidents", 0)
            if settled or clock() >= deadline:
                return detail
            sleep(min(every, max(deadline - clock(), 0)))
