"""Hypothesis strategies: random valid configuration files, in normal form.

Small on purpose (a few of each thing) so that an example runs in milliseconds. Every reference
resolves, and everyone a team's schedule or policy names is a member of that team. Instants are
whole minutes, with the fixed offset the file writes them in; the things that must be in the
future (overrides, maintenance windows) begin after NOW, the clock the tests apply them at.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from django.utils.text import slugify
from hypothesis import strategies as st

from incidents.configuration import normal, schema

NOW = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)

# UTC and zones with a DST change in the year after NOW (both hemispheres), and two without.
ZONES = (
    "UTC",
    "Europe/Lisbon",
    "America/New_York",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "Asia/Singapore",
    "Asia/Kolkata",
)
DST_ZONES = ("Europe/Lisbon", "America/New_York", "Australia/Sydney")

# Text that YAML 1.1 would read as something else, or that needs quoting, beside plain words.
TRICKY = ("NO", "yes", "on", "null", "~", "1", "09:00", "2027-01-13", "a: b", "#x", "- x", "'q'")
_LETTERS = "abcdefgxyzABCÇãéñ0129 -_.'&"


def words(max_size: int = 12) -> st.SearchStrategy[str]:
    """Return short text: plain, accented, or YAML-tricky; never blank nor padded."""
    plain = st.text(alphabet=_LETTERS, min_size=1, max_size=max_size).map(str.strip)
    return st.one_of(st.sampled_from(TRICKY), plain.filter(bool))


def minutes(low: int, high: int) -> st.SearchStrategy[timedelta]:
    return st.integers(low, high).map(lambda n: timedelta(minutes=n))


def in_zone(moment: datetime, zone: str) -> datetime:
    """Return `moment` as the file reads it back: with the fixed offset it has in `zone`."""
    local = moment.astimezone(ZoneInfo(zone))
    return local.astimezone(timezone(local.utcoffset()))


def instants(zone: str, *, after: timedelta, before: timedelta) -> st.SearchStrategy[datetime]:
    """Return whole-minute instants between NOW+after and NOW+before, written in `zone`."""
    span = st.integers(int(after.total_seconds() // 60), int(before.total_seconds() // 60))
    return span.map(lambda n: in_zone(NOW + timedelta(minutes=n), zone))


@st.composite
def spans(draw, zone: str) -> tuple[datetime, datetime]:
    """Return a (start, end) still to come: an override's or a maintenance window's."""
    start = draw(instants(zone, after=timedelta(minutes=1), before=timedelta(days=60)))
    end = start + draw(minutes(15, 14 * 24 * 60))
    return start, in_zone(end, zone)


# --- people ---------------------------------------------------------------------------------

ADDRESSES = {
    "sms": st.integers(100_000_000, 999_999_999).map(lambda n: f"+351{n}"),
    "voice": st.integers(1_000_000_000, 9_999_999_999).map(lambda n: f"+55{n}"),
    "email": st.sampled_from(("pager", "me", "oncall.x")).flatmap(
        lambda local: st.integers(0, 99).map(lambda n: f"{local}{n}@mail.example")
    ),
    "slack": st.text(alphabet="ABCDEFXYZ0123456789", min_size=6, max_size=10).map(
        lambda s: "U" + s
    ),
}


def rules() -> st.SearchStrategy[list[dict]]:
    rule = st.fixed_dictionaries(
        {"urgency": st.sampled_from(("high", "low")), "after_minutes": st.integers(0, 60)}
    )
    return st.lists(rule, max_size=3, unique_by=lambda r: (r["urgency"], r["after_minutes"])).map(
        list
    )


@st.composite
def contact_method(draw) -> dict:
    kind = draw(st.sampled_from(schema.CONTACT_KINDS))
    return {
        "kind": kind,
        "address": draw(ADDRESSES[kind]),
        "label": draw(st.one_of(st.just(""), words(20))),
        "rules": draw(rules()),
    }


@st.composite
def person(draw, index: int) -> dict:
    local = draw(st.text(alphabet="abcdefxyz", min_size=1, max_size=6))
    email = f"{local}.{index}@example.com"
    country = draw(st.sampled_from(("", "", "BR", "PT", "SG", "US", "NO")))
    return {
        "email": email,
        "name": draw(words(30)),
        "username": draw(st.sampled_from((email, f"user{index}", f"u.{local}{index}"))),
        "time_zone": draw(st.sampled_from(ZONES)),
        "locale": draw(st.sampled_from(("en", "pt-BR", "es"))),
        "holiday_country": country,
        "holiday_subdivision": "SP" if country == "BR" and draw(st.booleans()) else "",
        "contact_methods": draw(
            st.lists(contact_method(), max_size=3, unique_by=lambda m: (m["kind"], m["address"]))
        ),
    }


# --- teams and what they own ------------------------------------------------------------------


@st.composite
def team(draw, index: int, emails: list[str]) -> dict:
    name = f"{draw(words())} {index}"
    members = draw(st.lists(st.sampled_from(emails), min_size=1, max_size=4, unique=True))
    return {
        "name": name,
        "slug": draw(st.sampled_from((slugify(name) or f"team-{index}", f"t{index}-own"))),
        "slack_channel": draw(st.sampled_from(("", "C0123ABCD", "#ops"))),
        "manager": draw(st.one_of(st.none(), st.sampled_from(members))),
        "rest_after_sleep_pages": draw(st.one_of(st.none(), st.integers(1, 10))),
        "rest_notice_nights": draw(st.one_of(st.none(), st.integers(1, 7))),
        "members": [
            {"person": email, "role": draw(st.sampled_from(schema.ROLES))} for email in members
        ],
    }


def clock_text(total: int) -> str:
    return f"{total // 60:02d}:{total % 60:02d}"


@st.composite
def restriction(draw) -> dict:
    kind = draw(st.sampled_from(("daily", "weekly")))
    most = normal.DAY_MINUTES if kind == "daily" else normal.WEEK_MINUTES
    return {
        "kind": kind,
        "weekday": draw(st.sampled_from(schema.WEEKDAYS)) if kind == "weekly" else "mon",
        "start": clock_text(draw(st.integers(0, 24 * 4 - 1)) * 15),
        "duration": clock_text(draw(st.integers(1, most // 15)) * 15),
    }


@st.composite
def layer(draw, index: int, members: list[str]) -> dict:
    zone = draw(st.sampled_from(ZONES))
    handoff = draw(instants(zone, after=-timedelta(days=400), before=timedelta(days=30)))
    active_from = draw(
        st.one_of(st.none(), instants(zone, after=-timedelta(days=30), before=timedelta(days=30)))
    )
    active_until = None
    if draw(st.booleans()):
        since = active_from or NOW
        active_until = in_zone(since + draw(minutes(60, 200 * 24 * 60)), zone)
    return {
        "name": f"{draw(words())} {index}",
        "turn_unit": draw(st.sampled_from(schema.TURN_UNITS)),
        "turn_count": draw(st.integers(1, 3)),
        "handoff": handoff,
        "time_zone": zone,
        "active_from": active_from,
        "active_until": active_until,
        "participants": draw(
            st.permutations(members).flatmap(
                lambda order: st.integers(1, len(order)).map(lambda n: list(order[:n]))
            )
        ),
        "restrictions": draw(
            st.lists(
                restriction(),
                max_size=2,
                unique_by=lambda r: (r["kind"], r["weekday"], r["start"], r["duration"]),
            )
        ),
    }


@st.composite
def schedule(draw, name: str, team_name: str, members: list[str]) -> dict:
    zone = draw(st.sampled_from(ZONES))
    overrides = []
    for _ in range(draw(st.integers(0, 2))):
        start, end = draw(spans(zone))
        reason = draw(st.one_of(st.just(""), words(40)))
        overrides.append(
            {"person": draw(st.sampled_from(members)), "start": start, "end": end, "reason": reason}
        )
    # The same override (or window) twice is not refused by the file, but never applies as no
    # change (test_properties shows it): random files do not have it.
    overrides = list({(o["person"], o["start"], o["end"]): o for o in overrides}.values())
    return {
        "name": name,
        "team": team_name,
        "time_zone": zone,
        "description": draw(st.one_of(st.just(""), words(60))),
        "layers": [draw(layer(i, members)) for i in range(draw(st.integers(0, 3)))],
        "overrides": overrides,
    }


@st.composite
def policy(draw, name: str, team_name: str, members: list[str], schedules: list[str]) -> dict:
    kinds = [("person", members), ("team_all", [team_name]), ("team_round_robin", [team_name])]
    if schedules:
        kinds.append(("schedule", schedules))
    target = st.sampled_from(kinds).flatmap(
        lambda kind: st.sampled_from(kind[1]).map(lambda value: {kind[0]: value})
    )
    steps = [
        {
            "escalate_after_minutes": draw(st.integers(1, 60)),
            "targets": draw(st.lists(target, min_size=1, max_size=3, unique_by=lambda t: str(t))),
        }
        # The schema takes a policy with no steps; the service refuses one (nobody to page).
        for _ in range(draw(st.integers(1, 3)))
    ]
    return {
        "name": name,
        "team": team_name,
        "repeat": draw(st.integers(0, 3)),
        "description": draw(st.one_of(st.just(""), words(60))),
        "steps": steps,
    }


@st.composite
def integration(draw) -> dict:
    kind = draw(st.sampled_from(schema.INTEGRATION_KINDS))
    return {
        "kind": kind,
        "name": draw(st.sampled_from(("", "prod", "staging", "eu-west"))),
        "rate_limit_per_second": draw(st.sampled_from((5000, 1, 100))),
        "heartbeat_interval_seconds": draw(st.integers(60, 3600)) if kind == "heartbeat" else None,
    }


@st.composite
def service(draw, name: str, team_name: str, policies: list[str]) -> dict:
    windows = []
    for _ in range(draw(st.integers(0, 2))):
        start, end = draw(spans("UTC"))
        windows.append({"start": start, "end": end, "reason": draw(st.sampled_from(("", "db")))})
    windows = list({(w["start"], w["end"]): w for w in windows}.values())  # as overrides
    return {
        "name": name,
        "team": team_name,
        "description": draw(st.one_of(st.just(""), words(60))),
        "escalation_policy": draw(st.one_of(st.none(), st.sampled_from(policies)))
        if policies
        else None,
        "urgency_rule": draw(st.sampled_from(schema.URGENCY_RULES)),
        "ack_timeout_minutes": draw(st.one_of(st.none(), st.integers(1, 120))),
        "auto_resolve_minutes": draw(st.one_of(st.none(), st.integers(1, 1440))),
        "slack_channel": draw(st.sampled_from(("", "C0SVC"))),
        "maintenance_windows": windows,
        "integrations": draw(
            st.lists(integration(), max_size=3, unique_by=lambda i: (i["kind"], i["name"]))
        ),
    }


@st.composite
def configs(draw, max_teams: int = 3, max_people: int = 5) -> dict:
    """Return a random valid configuration in normal form."""
    people = [draw(person(i)) for i in range(draw(st.integers(1, max_people)))]
    emails = [p["email"] for p in people]
    teams = [draw(team(i, emails)) for i in range(draw(st.integers(1, max_teams)))]
    schedules, policies, services = [], [], []
    for t in teams:
        members = [m["person"] for m in t["members"]]
        own = [
            draw(schedule(f"{t['slug']} rota {i}", t["name"], members))
            for i in range(draw(st.integers(0, 2)))
        ]
        named = [s["name"] for s in own]
        mine = [
            draw(policy(f"{t['slug']} policy {i}", t["name"], members, named))
            for i in range(draw(st.integers(0, 2)))
        ]
        services += [
            draw(service(f"{t['slug']}-svc-{i}", t["name"], [p["name"] for p in mine]))
            for i in range(draw(st.integers(0, 2)))
        ]
        schedules += own
        policies += mine
    return normal.ordered(
        {
            "version": schema.VERSION,
            "teams": teams,
            "people": people,
            "schedules": schedules,
            "escalation_policies": policies,
            "services": services,
        }
    )
