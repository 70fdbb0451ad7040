"""A fake of Twilio's REST API, 2010-04-01 Messages and Calls, as `twilio.rest.Client` calls it.

The client joins its `api.base_url` with paths like /2010-04-01/Accounts/{AccountSid}/Messages.json;
resources, pages and errors come back in the JSON shapes the library parses.
"""

import base64
import re
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlencode

from tests.fakes.outcomes import Outcome, Outcomes, Reply

VERSION = "2010-04-01"
PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>[^/]+)/(?P<kind>Messages|Calls)(?:/(?P<sid>[^/]+))?\.json$"
)
OUTCOMES = frozenset({"ok", "500", "500-after-create", "429", "400", "hang"})

ERRORS = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    21201: "No 'To' number is specified",
    21211: "The 'To' number is not a valid phone number.",
    21213: "No 'From' number is specified",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To'"
    " number",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
}

# Each kind's required form fields (any one of a group) and the error for a missing group.
REQUIRED = {
    "Messages": [
        (("To",), 21604),
        (("From", "MessagingServiceSid"), 21603),
        (("Body", "MediaUrl", "ContentSid"), 21602),
    ],
    "Calls": [(("To",), 21201), (("From",), 21213)],
}
SID_PREFIX = {"Messages": "SM", "Calls": "CA"}
DATE_FILTER = {"Messages": "DateSent", "Calls": "StartTime"}

GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_ESCAPED = set("^{}\\[~]|€\f")


def error(status: int, code: int, headers: dict[str, str] | None = None) -> Reply:
    """Return Twilio's error JSON for `code`, with HTTP `status`."""
    body = {
        "code": code,
        "message": ERRORS.get(code, f"Error {code}"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Reply(status, body, headers or {})


def segments(body: str) -> int:
    """Count the SMS segments `body` takes: GSM-7 when every character has a code, else UCS-2."""
    if set(body) <= GSM7 | GSM7_ESCAPED:
        units, single, part = len(body) + sum(c in GSM7_ESCAPED for c in body), 160, 153
    else:
        units, single, part = len(body.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= single else -(-units // part)


def stamp(at: datetime) -> str:
    """Format `at` as Twilio does: RFC 2822 in UTC, whole seconds."""
    return format_datetime(at.astimezone(UTC).replace(microsecond=0))


class FakeTwilio:
    """Twilio's side of the fake server: what was created, and what the next create gets."""

    def __init__(self, *, account_sid: str, auth_token: str, lock: threading.RLock, now: Callable):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[dict] = []
        self.calls: list[dict] = []
        self.arrived_at: dict[str, datetime] = {}  # when each message or call reached us, exactly
        self._lock = lock
        self._now = now
        self._outcomes = Outcomes(lock, OUTCOMES)
        self._resources: dict[str, dict] = {}  # sid -> the resource JSON, in creation order
        self._records: dict[str, dict] = {}  # sid -> its entry in `messages` or `calls`

    def script(self, *outcomes: Outcome) -> None:
        """Queue outcomes for the next Messages.json and Calls.json POSTs, then back to "ok"."""
        self._outcomes.script(*outcomes)

    def fault_rate(self, rate: float, *, seed: int | None = None, hang: float = 3.0) -> None:
        """Fail each unscripted create with probability `rate`: a 500, a 429 or a hang."""
        self._outcomes.fault_rate(rate, seed=seed, hang=hang)

    def set_status(self, sid: str, status: str, *, error_code: int | None = None, **fields):
        """Move message or call `sid` to `status`, as the carrier's news would; `fields` set
        more of the resource (e.g. duration="12" for a call)."""
        with self._lock:
            resource = self._resources[sid]
            now = stamp(self._now())
            resource.update(status=status, date_updated=now)
            if sid.startswith("SM"):
                message = ERRORS.get(error_code, f"Error {error_code}") if error_code else None
                resource.update(error_code=error_code, error_message=message)
                if status in ("sent", "delivered", "undelivered") and not resource["date_sent"]:
                    resource["date_sent"] = now
            resource.update(fields)
            self._records[sid]["status"] = status

    def reset(self) -> None:
        """Forget every message, call and scripted outcome."""
        with self._lock:
            self.messages.clear()
            self.calls.clear()
            self.arrived_at.clear()
            self._resources.clear()
            self._records.clear()
            self._outcomes.clear()

    def handle(
        self, method: str, path: str, query: dict, form: dict, authorization: str | None
    ) -> Reply:
        """Answer one request to `path` (the part after the fake's /twilio prefix)."""
        if not self._authorized(authorization):
            return error(401, 20003)
        match = PATH.match(path)
        if match is None or match["account"] != self.account_sid:
            return error(404, 20404)
        kind, sid = match["kind"], match["sid"]
        if method == "POST" and sid is None:
            return self._create(kind, form)
        if method == "GET" and sid is None:
            return Reply(200, self._page(kind, query))
        with self._lock:
            resource = self._resources.get(sid)
        if method == "GET" and resource is not None and sid.startswith(SID_PREFIX[kind]):
            return Reply(200, dict(resource))
        return error(404, 20404)

    def _authorized(self, header: str | None) -> bool:
        scheme, _, encoded = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return (user, password) == (self.account_sid, self.auth_token)

    def _create(self, kind: str, form: dict) -> Reply:
        for fields, code in REQUIRED[kind]:
            if not any(form.get(name) for name in fields):
                return error(400, code)
        outcome, argument = self._outcomes.next()
        if outcome == "500":
            return error(500, 20500)
        if outcome == "429":
            return error(429, 20429, {"Retry-After": "1"})
        if outcome == "400":
            return error(400, argument)
        resource = self._record(kind, form)
        if outcome == "500-after-create":
            return error(500, 20500)
        return Reply(201, resource, delay=argument if outcome == "hang" else 0.0)

    def _record(self, kind: str, form: dict) -> dict:
        sid = SID_PREFIX[kind] + uuid.uuid4().hex
        build = self._message if kind == "Messages" else self._call
        now = self._now()
        resource = build(sid, form, stamp(now))
        with self._lock:
            self.arrived_at[sid] = now
            self._resources[sid] = resource
            self._records[sid] = {**form, "sid": sid, "status": resource["status"]}
            (self.messages if kind == "Messages" else self.calls).append(self._records[sid])
        return dict(resource)

    def _message(self, sid: str, form: dict, now: str) -> dict:
        uri = f"/{VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        body = form.get("Body", "")
        media = form.get("MediaUrl", [])
        return {
            "account_sid": self.account_sid,
            "api_version": VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": str(1 if isinstance(media, str) else len(media)),
            "num_segments": str(segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            # Through a messaging service Twilio picks the sender later, so it only "accepts".
            "status": "queued" if form.get("From") else "accepted",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": form["To"],
            "uri": f"{uri}.json",
        }

    def _call(self, sid: str, form: dict, now: str) -> dict:
        return {
            "account_sid": self.account_sid,
            "answered_by": None,
            "api_version": VERSION,
            "caller_name": None,
            "date_created": now,
            "date_updated": now,
            "direction": "outbound-api",
            "duration": None,
            "end_time": None,
            "forwarded_from": None,
            "from": form["From"],
            "from_formatted": form["From"],
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": None,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": sid,
            "start_time": None,
            "status": "queued",
            "to": form["To"],
            "to_formatted": form["To"],
            "trunk_sid": None,
            "uri": f"/{VERSION}/Accounts/{self.account_sid}/Calls/{sid}.json",
        }

    def _page(self, kind: str, query: dict) -> dict:
        """Return one page of `kind`, newest first, filtered as `query` asks."""
        filters = {k: v for k, v in query.items() if k not in ("Page", "PageSize", "PageToken")}
        with self._lock:
            rows = [
                dict(resource)
                for sid, resource in reversed(self._resources.items())
                if sid.startswith(SID_PREFIX[kind]) and _matches(resource, filters, kind)
            ]
        size, number = int(query.get("PageSize", 50)), int(query.get("Page", 0))
        start = size * number
        chunk = rows[start : start + size]
        base = f"/{VERSION}/Accounts/{self.account_sid}/{kind}.json"

        def uri(page: int) -> str:
            return f"{base}?{urlencode({**filters, 'PageSize': size, 'Page': page})}"

        return {
            kind.lower(): chunk,
            "start": start,
            "end": start + max(len(chunk) - 1, 0),
            "page": number,
            "page_size": size,
            "uri": uri(number),
            "first_page_uri": uri(0),
            "previous_page_uri": uri(number - 1) if number else None,
            "next_page_uri": uri(number + 1) if start + size < len(rows) else None,
        }


def _matches(resource: dict, filters: dict, kind: str) -> bool:
    """Return whether `resource` passes the list filters: To, From, Status, and the date ones
    (DateSent or StartTime, with < and > meaning on or before, on or after), on date_created."""
    for name, field in (("To", "to"), ("From", "from"), ("Status", "status")):
        if name in filters and resource[field] != filters[name]:
            return False
    created = parsedate_to_datetime(resource["date_created"])
    for suffix, holds in (
        ("", lambda at, bound: at == bound),
        ("<", lambda at, bound: at <= bound),
        (">", lambda at, bound: at >= bound),
    ):
        value = filters.get(DATE_FILTER[kind] + suffix)
        if value is None:
            continue
        bound = _bound(value)
        at = created if isinstance(bound, datetime) else created.date()
        if not holds(at, bound):
            return False
    return True


def _bound(value: str) -> datetime | date:
    """Parse a date filter as the library sends it: 2024-05-01T12:00:00Z, or a bare date."""
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return date.fromisoformat(value)
