"""Grafana OnCall (OSS, HTTP API v1) to a Plantão configuration file.

`fetch` reads the API's lists (from saved files or live, every page), `convert` maps them, and
`oncall_answers` asks a schedule's final shifts, for `--verify`. Only those two do I/O.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oncall import clock

from ..result import Import
from ..sources import Api, Folder, ImportFailed
from .chains import Lookup, policy_of, services_of
from .people import ROLES, Teams, person_of
from .schedules import schedule_of

NAME = "Grafana OnCall"

# The lists convert() reads, each saved as <name>.json (further pages as <name>-2.json...).
LISTS = (
    "users",
    "teams",
    "schedules",
    "on_call_shifts",
    "escalation_chains",
    "escalation_policies",
    "integrations",
    "routes",
    "personal_notification_rules",
)

HOW_TO_SAVE = {
    name: (
        f'curl -sf -H "Authorization: $ONCALL_TOKEN" "$ONCALL_URL/api/v1/{name}/" > {name}.json'
        f'  # if it says "next": ...?page=2, save that page as {name}-2.json, and so on'
    )
    for name in LISTS
}


def auth(token: str) -> dict[str, str]:
    """Return the headers that authenticate: Grafana OnCall takes the bare API token."""
    return {"Authorization": token}


def _path(api: Api, path: str) -> str:
    # --url may be the OnCall root or its /api/v1; the paths here start at /api/v1.
    return path.removeprefix("/api/v1") if api.base_url.endswith("/api/v1") else path


def _pages(api: Api, path: str, params: dict | None = None) -> list[dict]:
    items, answer = [], api.get(_path(api, path), params)
    while True:
        if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
            raise ImportFailed(f"{path} did not answer a list of results")
        items += answer["results"]
        if not answer.get("next"):
            return items
        answer = api.get(answer["next"])


def fetch(source: Folder | Api) -> dict:
    """Return every list convert() needs, all pages followed: {name: [items]}."""
    answers = {}
    for name in LISTS:
        if isinstance(source, Folder):
            items = []
            for document in source.documents(name):
                if not isinstance(document, dict) or not isinstance(document.get("results"), list):
                    raise ImportFailed(f"{name}.json is not a Grafana OnCall list (no results)")
                items += document["results"]
        else:
            items = _pages(source, f"/api/v1/{name}/")
        answers[name] = items
    return answers


def convert(answers: dict) -> Import:
    """Return the Plantão configuration of Grafana OnCall's answers, and what did not map."""
    imported = Import(tool=NAME)
    users = answers.get("users", [])
    emails = {user["id"]: user["email"] for user in users if user.get("email")}
    teams = Teams(answers.get("teams", []))
    _people(imported, users, answers.get("personal_notification_rules", []), teams)
    schedule_names = _schedules(imported, answers, emails, teams, clock.now())
    chains = {chain["id"]: chain for chain in answers.get("escalation_chains", [])}
    steps: dict[str, list] = {}
    for step in answers.get("escalation_policies", []):
        steps.setdefault(step.get("escalation_chain_id"), []).append(step)
    lookup = Lookup(emails, schedule_names, dict(teams.names), teams.join)
    for chain in chains.values():
        team = teams.name_of(chain.get("team_id"))
        imported.config["escalation_policies"].append(
            policy_of(imported, chain, steps.get(chain["id"], []), team, lookup)
        )
    imported.config["services"] = services_of(
        imported,
        answers.get("integrations", []),
        answers.get("routes", []),
        chains,
        teams.name_of,
    )
    if teams.no_team in teams.members:
        imported.notes.append(
            f"what had no team in Grafana OnCall is in the team {teams.no_team!r}"
        )
    imported.config["teams"] = teams.config()
    return imported


def _people(imported: Import, users: list[dict], rules: list[dict], teams: Teams) -> None:
    """Add the people, and each to their teams with the role their OnCall role gives."""
    by_user: dict[str, list] = {}
    for rule in rules:
        by_user.setdefault(rule.get("user_id"), []).append(rule)
    for user in users:
        if not user.get("email"):
            imported.skip("user", user.get("username") or user["id"], "has no e-mail address")
            continue
        imported.config["people"].append(person_of(imported, user, by_user.get(user["id"], [])))
        for team_id in user.get("teams") or []:
            if team_id in teams.names:
                role = ROLES.get(user.get("role"), "responder")
                teams.join(teams.names[team_id], user["email"], role)
    if any(not user.get("teams") for user in users):
        imported.notes.append(
            "people in no Grafana OnCall team are in no Plantão team unless something of the "
            f"team {teams.no_team!r} names them"
        )


def _schedules(
    imported: Import, answers: dict, emails: dict, teams: Teams, now: datetime
) -> dict[str, str]:
    """Add the schedules (their people made members of their team); return their names by id."""
    shifts = {shift["id"]: shift for shift in answers.get("on_call_shifts", [])}
    names = {}
    for schedule in answers.get("schedules", []):
        ical = schedule.get("type") == "ical"  # reported, so it needs no team
        team = "" if ical else teams.name_of(schedule.get("team_id"))
        result = schedule_of(imported, schedule, shifts, emails, team, now)
        if result is None:
            continue
        for layer in result["layers"]:
            for email in layer["participants"]:
                teams.join(team, email)
        for override in result["overrides"]:
            teams.join(team, override["person"])
        imported.config["schedules"].append(result)
        imported.schedule_ids[result["name"]] = schedule["id"]
        names[schedule["id"]] = result["name"]
    return names


def oncall_answers(api: Api, schedule_id: str, instants: list[datetime]) -> dict:
    """Return the e-mails Grafana OnCall has on call at each instant, from the schedule's final
    shifts (several people at once where its shifts overlap)."""
    if not instants:
        return {}
    first = min(instants).astimezone(UTC) - timedelta(days=1)
    last = max(instants).astimezone(UTC) + timedelta(days=1)
    shifts = _pages(
        api,
        f"/api/v1/schedules/{schedule_id}/final_shifts",
        {"start_date": f"{first:%Y-%m-%d}", "end_date": f"{last:%Y-%m-%d}"},
    )
    spans = [
        (_instant(shift["shift_start"]), _instant(shift["shift_end"]), shift.get("user_email"))
        for shift in shifts
    ]
    return {
        moment: sorted({email for start, end, email in spans if email and start <= moment < end})
        for moment in instants
    }


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
