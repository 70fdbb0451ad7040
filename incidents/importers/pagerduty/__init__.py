"""PagerDuty (REST API v2): a configuration file from its users, teams, schedules, escalation
policies and services, and its /oncalls answers for `--verify`.

Only `fetch` and `oncall_answers` ask anything (of the API, or of a folder of saved answers);
`convert` is pure: dicts in, an Import out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from incidents.importers.sources import Api, Folder, ImportFailed
from oncall import clock

from .convert import convert

__all__ = ["NAME", "HOW_TO_SAVE", "auth", "fetch", "convert", "oncall_answers"]

NAME = "PagerDuty"
PAGE = 100  # the most PagerDuty gives in one page
OVERRIDES_AHEAD = timedelta(days=365)

_CURL = (
    'curl -sS -H "Authorization: Token token=$PAGERDUTY_TOKEN" '
    '-H "Accept: application/vnd.pagerduty+json;version=2" '
)
_API = "https://api.pagerduty.com"
_SINCE = "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
_UNTIL = "$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)"
_EACH_SCHEDULE = "for id in $(jq -r '.schedules[].id' schedules*.json); do "
_EACH_TEAM = "for id in $(jq -r '.teams[].id' teams*.json); do "

# The saved file (without .json) -> the command that saves it. A list answered with
# "more": true continues in <name>-2.json, <name>-3.json... (add &offset=100, 200...).
HOW_TO_SAVE: dict[str, str] = {
    "users": f'{_CURL}"{_API}/users?include%5B%5D=contact_methods'
    f'&include%5B%5D=notification_rules&limit={PAGE}" > users.json',
    "teams": f'{_CURL}"{_API}/teams?limit={PAGE}" > teams.json',
    "team-ID-members": f'{_EACH_TEAM}{_CURL}"{_API}/teams/$id/members?limit={PAGE}" '
    '> "team-$id-members.json"; done',
    "schedules": f'{_CURL}"{_API}/schedules?limit={PAGE}" > schedules.json',
    "schedule-ID": f'{_EACH_SCHEDULE}{_CURL}"{_API}/schedules/$id" > "schedule-$id.json"; done',
    "overrides-ID": f'{_EACH_SCHEDULE}{_CURL}"{_API}/schedules/$id/overrides'
    f'?since={_SINCE}&until={_UNTIL}" > "overrides-$id.json"; done',
    "escalation_policies": f'{_CURL}"{_API}/escalation_policies?limit={PAGE}" '
    "> escalation_policies.json",
    "services": f'{_CURL}"{_API}/services?include%5B%5D=integrations&limit={PAGE}" > services.json',
}


def auth(token: str) -> dict[str, str]:
    """Return the headers PagerDuty's REST API v2 wants with an API key."""
    return {
        "Authorization": f"Token token={token}",
        "Accept": "application/vnd.pagerduty+json;version=2",
    }


def fetch(source: Folder | Api) -> dict:
    """Return every answer `convert` needs, each list whole (every page followed)."""
    read = _Reader(source)
    schedules = []
    for summary in read.listed("schedules", "/schedules"):
        schedules.append(read.one(f"schedule-{summary['id']}", f"/schedules/{summary['id']}"))
    now = clock.now()
    window = {"since": _iso(now), "until": _iso(now + OVERRIDES_AHEAD)}
    teams = read.listed("teams", "/teams")
    return {
        "users": read.listed(
            "users", "/users", {"include[]": ["contact_methods", "notification_rules"]}
        ),
        "teams": teams,
        "members": {
            team["id"]: read.listed(
                f"team-{team['id']}-members", f"/teams/{team['id']}/members", key="members"
            )
            for team in teams
        },
        "schedules": [answer["schedule"] for answer in schedules],
        "overrides": {
            answer["schedule"]["id"]: read.listed(
                f"overrides-{answer['schedule']['id']}",
                f"/schedules/{answer['schedule']['id']}/overrides",
                window,
                key="overrides",
            )
            for answer in schedules
        },
        "escalation_policies": read.listed("escalation_policies", "/escalation_policies"),
        "services": read.listed("services", "/services", {"include[]": ["integrations"]}),
    }


def oncall_answers(api: Api, schedule_id: str, instants: list[datetime]) -> dict:
    """Return the e-mails PagerDuty's /oncalls has on call for `schedule_id` at each instant.

    PagerDuty lists on-calls through escalation policies: a schedule that no policy names has
    none, and is answered as nobody on call."""
    if not instants:
        return {}
    params = {
        "schedule_ids[]": [schedule_id],
        "include[]": ["users"],
        "since": _iso(min(instants)),
        "until": _iso(max(instants) + timedelta(minutes=1)),
    }
    entries = _Reader(api).listed("oncalls", "/oncalls", params)
    spans = []
    for entry in entries:
        if (entry.get("schedule") or {}).get("id") != schedule_id:
            continue
        email = (entry.get("user") or {}).get("email")
        if not email:
            raise ImportFailed("/oncalls answered a user without e-mail (include[]=users?)")
        spans.append((_when(entry.get("start")), _when(entry.get("end")), email))
    return {
        at: sorted(
            {
                email
                for start, end, email in spans
                if (start is None or start <= at) and (end is None or at < end)
            }
        )
        for at in instants
    }


class _Reader:
    """Lists and objects from a folder of saved answers or the API, every page followed."""

    def __init__(self, source: Folder | Api):
        self.source = source

    def listed(self, name: str, path: str, params: dict | None = None, key: str = "") -> list:
        key = key or path.rsplit("/", 1)[-1]
        if isinstance(self.source, Folder):
            pages = self.source.documents(name, required=False) or self._missing(name)
        else:
            pages, offset, more = [], 0, True
            while more:
                page = self.source.get(path, {**(params or {}), "limit": PAGE, "offset": offset})
                pages.append(page)
                more = bool(isinstance(page, dict) and page.get("more"))
                offset += len(page.get(key, [])) if isinstance(page, dict) else 0
                if more and not page.get(key):
                    raise ImportFailed(f"{path} said there is more, but gave an empty page")
        found = []
        for page in pages:
            _refused(name, page)
            if not isinstance(page, dict) or not isinstance(page.get(key), list):
                raise ImportFailed(f"{name}: expected a JSON object with a list {key!r}")
            found.extend(page[key])
        return found

    def one(self, name: str, path: str) -> dict:
        if isinstance(self.source, Folder):
            pages = self.source.documents(name, required=False) or self._missing(name)
            answer = pages[0]
        else:
            answer = self.source.get(path)
        _refused(name, answer)
        if not isinstance(answer, dict) or not isinstance(answer.get("schedule"), dict):
            raise ImportFailed(f"{name}: expected a JSON object with a 'schedule'")
        return answer

    def _missing(self, name: str) -> list:
        generic = name
        for prefix in ("team-", "schedule-", "overrides-"):
            if name.startswith(prefix):
                generic = prefix + "ID" + ("-members" if name.endswith("-members") else "")
        how = HOW_TO_SAVE.get(generic) or HOW_TO_SAVE.get(name)
        hint = f": save it with\n  {how}" if how else ""
        raise ImportFailed(f"{self.source.path / (name + '.json')} is missing{hint}")


def _refused(name: str, answer) -> None:
    """Raise ImportFailed if `answer` is PagerDuty's error answer (a file saved with a refused
    key, say), with its message."""
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        message = answer["error"].get("message") or "an error"
        raise ImportFailed(
            f"{name}: PagerDuty answered {message!r} ({answer['error'].get('code', '')}) "
            "instead of data: save it again with a key that may read it"
        )


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
