"""Opsgenie (REST API v2): users, teams, schedules, escalations and integrations to a file.

`fetch` reads what `convert` needs from a folder of saved answers or the live API (every page
followed); `convert` is pure; `oncall_answers` asks Opsgenie's who-is-on-call for `--verify`.
"""

from __future__ import annotations

from datetime import datetime

from incidents.importers.sources import Api, Folder, ImportFailed

from .convert import convert

__all__ = ["HOW_TO_SAVE", "NAME", "auth", "convert", "fetch", "oncall_answers"]

NAME = "Opsgenie"

_CURL = "curl -s -H \"Authorization: GenieKey $OPSGENIE_KEY\" 'https://api.opsgenie.com{path}'"
_EACH = "for id in $(jq -r '.data[].id' {list}.json); do {curl} > {name}-$id.json; done"

# The saved-file name -> the command that saves it (a name with <id> is one file per id).
HOW_TO_SAVE = {
    "users": _CURL.format(path="/v2/users?limit=100")
    + " > users.json  # further pages: users-2.json... from paging.next",
    "contacts-<id>": _EACH.format(
        list="users",
        curl=_CURL.format(path="/v2/users/'$id'/contacts"),
        name="contacts",
    ),
    "notification-rules-<id>": _EACH.format(
        list="users",
        curl=_CURL.format(path="/v2/users/'$id'/notification-rules"),
        name="notification-rules",
    ),
    "rule-<id>": "for u in $(jq -r '.data[].id' users.json); do for r in $(jq -r "
    "'.data[] | select(.actionType==\"create-alert\") | .id' notification-rules-$u.json); do "
    + _CURL.format(path="/v2/users/'$u'/notification-rules/'$r'")
    + " > rule-$r.json; done; done",
    "teams": _CURL.format(path="/v2/teams") + " > teams.json",
    "team-<id>": _EACH.format(list="teams", curl=_CURL.format(path="/v2/teams/'$id'"), name="team"),
    "schedules": _CURL.format(path="/v2/schedules?expand=rotation") + " > schedules.json",
    "overrides-<id>": _EACH.format(
        list="schedules",
        curl=_CURL.format(path="/v2/schedules/'$id'/overrides"),
        name="overrides",
    ),
    "escalations": _CURL.format(path="/v2/escalations") + " > escalations.json",
    "integrations": _CURL.format(path="/v2/integrations") + " > integrations.json",
}


def auth(token: str) -> dict[str, str]:
    """Return the headers Opsgenie authenticates an API key by."""
    return {"Authorization": f"GenieKey {token}"}


def fetch(source: Folder | Api) -> dict:
    """Return every answer `convert` needs, each list with all its pages."""
    users = _list(source, "users", "/v2/users", {"limit": 100})
    teams = _list(source, "teams", "/v2/teams")
    schedules = _list(source, "schedules", "/v2/schedules", {"expand": "rotation"})
    rules = {
        user["id"]: _list(
            source,
            f"notification-rules-{user['id']}",
            f"/v2/users/{user['id']}/notification-rules",
        )
        for user in users
    }
    return {
        "users": users,
        # Only the rules that page for a new alert matter; their steps are in the rule itself.
        "notification_rules": {
            user_id: [
                _one(
                    source,
                    f"rule-{rule['id']}",
                    f"/v2/users/{user_id}/notification-rules/{rule['id']}",
                )
                for rule in found
                if rule.get("actionType") == "create-alert"
            ]
            for user_id, found in rules.items()
        },
        "contacts": {
            user["id"]: _list(source, f"contacts-{user['id']}", f"/v2/users/{user['id']}/contacts")
            for user in users
        },
        "teams": [_one(source, f"team-{team['id']}", f"/v2/teams/{team['id']}") for team in teams],
        "schedules": schedules,
        "overrides": {
            schedule["id"]: _list(
                source, f"overrides-{schedule['id']}", f"/v2/schedules/{schedule['id']}/overrides"
            )
            for schedule in schedules
        },
        "escalations": _list(source, "escalations", "/v2/escalations"),
        "integrations": _list(source, "integrations", "/v2/integrations"),
    }


def _pages(source: Folder | Api, name: str, path: str, params: dict | None = None) -> list:
    if isinstance(source, Folder):
        try:
            return source.documents(name)
        except ImportFailed as error:
            # One file per id: the command that saves them all is filed under "<kind>-<id>".
            kinds = [k for k in HOW_TO_SAVE if k.endswith("-<id>") and name.startswith(k[:-4])]
            how = HOW_TO_SAVE[max(kinds, key=len)] if kinds else None
            if how and "save it with" not in str(error):
                raise ImportFailed(
                    f"{error}: save it (and the others like it) with\n  {how}"
                ) from None
            raise
    pages = [source.get(path, params)]
    while (pages[-1].get("paging") or {}).get("next"):
        pages.append(source.get(pages[-1]["paging"]["next"]))
    return pages


def _list(source, name: str, path: str, params: dict | None = None) -> list:
    return [item for page in _pages(source, name, path, params) for item in page.get("data", [])]


def _one(source, name: str, path: str) -> dict:
    return _pages(source, name, path)[0]["data"]


def oncall_answers(api: Api, schedule_id: str, instants: list[datetime]) -> dict[datetime, list]:
    """Return the usernames (e-mails) Opsgenie has on call in the schedule at each instant."""
    answers = {}
    for at in instants:
        answer = api.get(
            f"/v2/schedules/{schedule_id}/on-calls",
            {"flat": "true", "date": at.strftime("%Y-%m-%dT%H:%M:%SZ")},
        )
        answers[at] = list((answer.get("data") or {}).get("onCallRecipients") or [])
    return answers
