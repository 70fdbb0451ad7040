"""Rest protection: after a night with N or more sleep-hours pages, the person's next night on
call is offered to the team as a cover request (once per person, team and night, whatever runs
the check at the same moment); the manager is told, in their own morning and once a week, when
someone has been woken on K of the last 7 nights. Off by default; set by a team admin in the web
page or the API.

The pages go out through the production path: an alert over HTTP, then the real Celery tasks run
eagerly on commit (the engine, page_send, and the rest check each sent sleep-hours page queues).
The instants are fixed: Lisbon in March 2027, whose clocks go forward at 01:00 UTC on Sunday 28.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from incidents.models import (
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    Page,
    RestNotice,
    RestOffer,
    Service,
)
from incidents.rest import nights, protection
from incidents.services import doorbell
from oncall import clock, services
from oncall.channels.recording import sends
from oncall.config.celery import app
from oncall.models import AuditEntry, CoverRequest, NotificationRule, Person, Team
from oncall.tokens import api_token_create

from .conftest import make_integration
from .test_chaos import concurrently

LISBON = ZoneInfo("Europe/Lisbon")
HOUR = timedelta(hours=1)


def lisbon(*args) -> datetime:
    return datetime(*args, tzinfo=LISBON)


# Ana is on call every other evening from 20:00 Lisbon: the nights of Thu 25 and Sat 27 March.
# Thursday's night in Lisbon is 22:00 to 08:00 WET (UTC); Saturday's ends at 08:00 WEST, 07:00
# UTC, after the clocks go forward: a nine-hour night.
THURSDAY_NIGHT = [lisbon(2027, 3, 25, 23, 0), lisbon(2027, 3, 26, 1, 30), lisbon(2027, 3, 26, 4)]
SATURDAY_NIGHT = (datetime(2027, 3, 27, 22, tzinfo=UTC), datetime(2027, 3, 28, 7, tzinfo=UTC))


def person(username: str, name: str, number: int, *, voice: bool = False) -> Person:
    """Someone in Lisbon texted at once for high-urgency pages (and called, with `voice`)."""
    made = services.person_create(username=username, display_name=name, time_zone="Europe/Lisbon")
    phone = f"+1212555{number:04d}"
    for kind in ("sms", "voice") if voice else ("sms",):
        method = services.contact_method_create(
            person=made, kind=kind, address=phone, verified=True
        )
        NotificationRule.objects.create(person=made, contact_method=method, urgency="high")
    return made


class NightDesk:
    """A Lisbon team with one schedule, Nights, that Ana and Bruno take in daily turns."""

    def __init__(self):
        self.ana = person("ana", "Ana Souza", 101, voice=True)
        self.bruno = person("bruno", "Bruno Lima", 102)
        self.marta = person("marta", "Marta Reis", 103)
        services.contact_method_create(
            person=self.marta, kind="email", address="marta@example.com", verified=True
        )
        self.team = services.team_create(name="Night Desk")
        for member in (self.ana, self.bruno):
            services.team_member_set(team=self.team, person=member)
        services.team_member_set(team=self.team, person=self.marta, role="admin")
        services.team_update(team=self.team, manager=self.marta)
        self.schedule = services.schedule_create(
            team=self.team, name="Nights", time_zone="Europe/Lisbon"
        )
        services.layer_create(
            schedule=self.schedule,
            name="Nightly",
            participants=[self.ana, self.bruno],
            turn_unit="days",
            turn_count=1,
            handoff=lisbon(2027, 3, 1, 20),
            time_zone="Europe/Lisbon",
        )
        policy = EscalationPolicy.objects.create(name="Night Desk default", team=self.team)
        step = EscalationStep.objects.create(policy=policy, position=0)
        EscalationTarget.objects.create(step=step, kind="schedule", schedule=self.schedule)
        self.service = Service.objects.create(
            name="night-api", team=self.team, escalation_policy=policy
        )
        make_integration(self.service)

    def protect(self, *, pages: int | None = None, nights: int | None = None) -> None:
        services.team_update(
            team=self.team, rest_after_sleep_pages=pages, rest_notice_nights=nights
        )


@pytest.fixture
def worker(monkeypatch, settings, tmp_path, frozen_now):
    """Run every task the code queues at once, in this process, as a worker would run it; the
    notices that oncall queues by name (cover requests) as well. Call it to move the clock."""
    from oncall import tasks as oncall_tasks

    app.loader.import_default_modules()
    eager = {"task_always_eager": True, "task_eager_propagates": True}
    saved = {name: app.conf.get(name) for name in eager}
    app.conf.update(eager)
    monkeypatch.setattr(doorbell, "BELL_SECONDS", 1e-9)
    monkeypatch.setattr(doorbell, "_rung_slice", -1)
    monkeypatch.setattr(
        app, "send_task", lambda name, args: getattr(oncall_tasks, name.rsplit(".", 1)[1])(*args)
    )
    cache.clear()
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "sent.jsonl")
    settings.PUBLIC_URL = "https://plantao.example.com"
    frozen_now(THURSDAY_NIGHT[0] - HOUR)
    yield frozen_now
    app.conf.update(saved)


@pytest.fixture
def desk(transactional_db, worker) -> NightDesk:
    return NightDesk()


def sent(settings) -> list[dict]:
    return sends(settings.PLANTAO_RECORDING_PATH)


def alert_at(client, desk: NightDesk, worker, at: datetime, key: str) -> None:
    """At `at`, monitoring sends a firing alert: whoever is on call is paged, through the tasks."""
    worker(at)
    token = f"webhook-{desk.service.pk}-token"
    answer = client.post(
        f"/integrations/webhook/{token}/",
        {"title": key, "status": "firing", "dedup_key": key, "severity": "critical"},
        content_type="application/json",
    )
    assert answer.status_code == 202, answer.content


def task(name: str, *args) -> None:
    """Run a task as the worker would, by its registered name."""
    doorbell.publish(name, list(args))


# --- The offer -----------------------------------------------------------------------------------


def test_three_sleep_pages_in_a_night_offer_the_next_night_on_call_across_the_clock_change(
    desk, worker, client, settings
):
    desk.protect(pages=3)
    for n, at in enumerate(THURSDAY_NIGHT):
        alert_at(client, desk, worker, at, f"disk-{n}")
    # Three rounds, each an SMS and a call at once: six sleep-hours pages, three times woken.
    woke = Page.objects.filter(person=desk.ana, interruption="sleep", sent_at__isnull=False)
    assert woke.count() == 6
    (request,) = CoverRequest.objects.all()
    # Friday's night is Bruno's; Saturday's is hers, and it is nine hours long.
    assert (request.schedule, request.asker) == (desk.schedule, desk.ana)
    assert (request.start, request.end) == SATURDAY_NIGHT
    assert request.status == CoverRequest.Status.OPEN and request.trade_with is None
    assert (
        request.note == "Rest protection: Ana Souza was woken 3 times on the night of Thu 25 Mar."
    )
    offer = RestOffer.objects.get()
    assert (offer.person, offer.team, offer.night) == (desk.ana, desk.team, date(2027, 3, 25))
    assert (offer.offered_night, offer.requests_opened, offer.sleep_pages) == (
        date(2027, 3, 27),
        1,
        3,
    )
    # The team is told, as for any cover request: Bruno (and Marta, an admin) by text.
    told = [s for s in sent(settings) if "asks for cover" in s["body"]]
    assert {s["address"] for s in told} == {"+12125550102", "+12125550103"}
    assert (
        "Ana Souza asks for cover on Nights, Sat 27 Mar 22:00 to Sun 28 Mar 08:00"
        in (told[0]["body"])
    )
    # Opened by Plantão itself, in the audit log.
    entry = AuditEntry.objects.get(object_type="cover_request", action="create")
    assert (entry.source, entry.actor, entry.object_id) == ("engine", "", str(request.pk))


def test_below_the_limit_or_switched_off_nobody_is_offered(desk, worker, client):
    for n, at in enumerate(THURSDAY_NIGHT):
        alert_at(client, desk, worker, at, f"off-{n}")
    assert not RestOffer.objects.exists() and not CoverRequest.objects.exists()  # off: default
    desk.protect(pages=4)
    task("incidents.tasks.rest_protection_sweep")
    assert not RestOffer.objects.exists() and not CoverRequest.objects.exists()  # 3 < 4
    desk.protect(pages=3)
    task("incidents.tasks.rest_protection_sweep")  # the sweep sees what the rings did not
    assert CoverRequest.objects.get().asker == desk.ana


def test_pages_outside_sleep_hours_wake_nobody(desk, worker, client):
    desk.protect(pages=1, nights=1)
    alert_at(client, desk, worker, lisbon(2027, 3, 25, 20, 30), "evening")
    alert_at(client, desk, worker, lisbon(2027, 3, 26, 8, 0), "morning")
    assert Page.objects.filter(person=desk.ana, sent_at__isnull=False).count() == 4
    task("incidents.tasks.rest_protection_sweep")
    assert not RestOffer.objects.exists() and not RestNotice.objects.exists()


def test_checking_again_offers_nothing_more(desk, worker, client):
    desk.protect(pages=3)
    for n, at in enumerate(THURSDAY_NIGHT):
        alert_at(client, desk, worker, at, f"twice-{n}")
    task("incidents.tasks.rest_protection_check", desk.ana.pk)
    task("incidents.tasks.rest_protection_check", desk.ana.pk)
    worker(lisbon(2027, 3, 26, 8, 15))
    task("incidents.tasks.rest_protection_sweep")
    assert RestOffer.objects.count() == 1
    assert CoverRequest.objects.count() == 1


@pytest.mark.postgres
def test_checks_at_the_same_moment_offer_once(desk, worker, client):
    desk.protect(pages=3, nights=1)
    lost = []
    with pytest.MonkeyPatch.context() as patch:  # every ring lost: the threads do the checks
        patch.setattr(protection, "_ring", lost.append)
        for n, at in enumerate(THURSDAY_NIGHT):
            alert_at(client, desk, worker, at, f"race-{n}")
    assert len(lost) == 6 and not RestOffer.objects.exists()
    worker(lisbon(2027, 3, 26, 9))  # Marta is awake: her notice goes at once
    at = clock.now()
    concurrently(
        lambda n: protection.rest_protection_check(person_id=desk.ana.pk, now=at), threads=8
    )
    assert RestOffer.objects.count() == 1
    assert CoverRequest.objects.count() == 1
    assert RestNotice.objects.count() == 1


def test_a_lost_ring_is_made_up_by_the_sweep(desk, worker, client):
    desk.protect(pages=3)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(protection, "_ring", lambda person_id: None)
        for n, at in enumerate(THURSDAY_NIGHT):
            alert_at(client, desk, worker, at, f"lost-{n}")
    assert not CoverRequest.objects.exists()
    worker(lisbon(2027, 3, 26, 4, 15))
    task("incidents.tasks.rest_protection_sweep")
    assert CoverRequest.objects.get().start == SATURDAY_NIGHT[0]


# --- The manager's notice ----------------------------------------------------------------------


def test_the_manager_is_told_once_in_their_own_morning(desk, worker, client, settings):
    desk.protect(nights=3)
    # Ana is woken once on each of her nights: Mon 21, Wed 23 and Thu 25.
    for day in (21, 23, 25):
        alert_at(client, desk, worker, lisbon(2027, 3, day, 23, 30), f"night-{day}")
    to_marta = [s for s in sent(settings) if s["address"] == "marta@example.com"]
    assert to_marta == []  # 23:30 in Lisbon: Marta is asleep too
    notice = RestNotice.objects.get()
    assert (notice.night, notice.nights_woken, notice.sent_at) == (date(2027, 3, 25), 3, None)
    morning = lisbon(2027, 3, 26, 8, 15)
    for sweep in (morning - HOUR, morning, morning + timedelta(minutes=15)):
        worker(sweep)
        task("incidents.tasks.rest_protection_sweep")
    (told,) = [s for s in sent(settings) if s["address"] == "marta@example.com"]
    assert told["kind"] == "email"
    assert told["body"].startswith(
        "Plantao: Ana Souza (Night Desk) has been woken by pages on 3 of the last 7 nights, "
        "the latest the night of Thu 25 Mar."
    )
    assert RestNotice.objects.get().sent_at == morning
    # Saturday's night makes it 4 of 7, but Marta was told this week already.
    alert_at(client, desk, worker, lisbon(2027, 3, 27, 23, 30), "night-27")
    worker(lisbon(2027, 3, 28, 9))
    task("incidents.tasks.rest_protection_sweep")
    assert RestNotice.objects.count() == 1
    assert len([s for s in sent(settings) if s["address"] == "marta@example.com"]) == 1
    assert not RestOffer.objects.exists()  # the offer is the other half, and it is off
    # Woken on every night of hers since (Mon 29, Wed 31): still within 7 nights of the notice.
    for day in (29, 31):
        alert_at(client, desk, worker, lisbon(2027, 3, day, 23, 30), f"night-{day}")
    assert RestNotice.objects.count() == 1
    # Fri 2 April: a new week since the night of 25 March, and 4 of its 7 nights woke her.
    alert_at(client, desk, worker, lisbon(2027, 4, 2, 23, 30), "night-2")
    worker(lisbon(2027, 4, 3, 9))
    task("incidents.tasks.rest_protection_sweep")
    assert list(RestNotice.objects.values_list("night", "nights_woken")) == [
        (date(2027, 4, 2), 4),
        (date(2027, 3, 25), 3),
    ]
    assert len([s for s in sent(settings) if s["address"] == "marta@example.com"]) == 2


# --- Pure: the next night on call ----------------------------------------------------------------


def test_the_next_night_is_the_first_later_night_a_shift_overlaps_from_now():
    ana_shifts = [
        nights.Span("Nights", lisbon(2027, 3, 27, 20), lisbon(2027, 3, 28, 2)),
        nights.Span("Nights", lisbon(2027, 3, 28, 3), lisbon(2027, 3, 28, 20)),
        nights.Span("Backup", lisbon(2027, 3, 28, 2), lisbon(2027, 3, 28, 3)),
    ]
    night, spans = nights.next_night_on_call(
        ana_shifts, after=date(2027, 3, 25), time_zone="Europe/Lisbon", now=lisbon(2027, 3, 26, 4)
    )
    assert night == date(2027, 3, 27)
    # 02:00 does not exist in Lisbon that night: 01:00 UTC is already 02:00 WEST.
    assert [(s.key, s.start.astimezone(UTC), s.end.astimezone(UTC)) for s in spans] == [
        ("Nights", SATURDAY_NIGHT[0], lisbon(2027, 3, 28, 2).astimezone(UTC)),
        ("Backup", lisbon(2027, 3, 28, 2).astimezone(UTC), lisbon(2027, 3, 28, 3).astimezone(UTC)),
        ("Nights", lisbon(2027, 3, 28, 3).astimezone(UTC), SATURDAY_NIGHT[1]),
    ]
    # Looked for from the night after the one that woke her, and only within 14 nights.
    assert (
        nights.next_night_on_call(
            ana_shifts, after=date(2027, 3, 27), time_zone="Europe/Lisbon", now=SATURDAY_NIGHT[0]
        )
        is None
    )


def test_rounds_not_channels_are_counted_per_night():
    at = lisbon(2027, 3, 25, 23)
    pages = [
        nights.SleepPage(at, (1, 0, 0)),
        nights.SleepPage(at, (1, 0, 0)),  # the call after the text
        nights.SleepPage(at + 3 * HOUR, (1, 0, 1)),  # the policy repeated
        nights.SleepPage(lisbon(2027, 3, 27, 23), (2, 0, 0)),
    ]
    assert nights.rounds_by_night(pages, "Europe/Lisbon") == {
        date(2027, 3, 25): 2,
        date(2027, 3, 27): 1,
    }
    assert nights.nights_woken([date(2027, 3, 21), date(2027, 3, 27)], last=date(2027, 3, 27)) == 2
    assert nights.nights_woken([date(2027, 3, 20), date(2027, 3, 27)], last=date(2027, 3, 27)) == 1


# --- Settings: the API and the team page -------------------------------------------------------


@pytest.fixture
def settled(db, frozen_now) -> NightDesk:
    frozen_now(lisbon(2027, 3, 1, 10))
    return NightDesk()


def api_for(member: Person, scope: str = "admin") -> APIClient:
    _, secret = api_token_create(user=member.user, name="t", scope=scope, now=clock.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_a_team_admin_sets_rest_protection_through_the_api(settled):
    cache.clear()
    path = f"/api/v1/teams/{settled.team.pk}/"
    admin = api_for(settled.marta)
    assert admin.get(path).json()["rest_after_sleep_pages"] is None  # off by default
    answer = admin.patch(path, {"rest_after_sleep_pages": 3, "rest_notice_nights": 4})
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["rest_after_sleep_pages"], answer.json()["rest_notice_nights"]) == (3, 4)
    for body, field in [
        ({"rest_after_sleep_pages": 0}, "rest_after_sleep_pages"),
        ({"rest_notice_nights": 8, "rest_after_sleep_pages": 2}, "rest_notice_nights"),
        ({"rest_notice_nights": "often"}, "rest_notice_nights"),
    ]:
        refused = admin.patch(path, body, format="json")
        assert refused.status_code == 400, body
        assert field in refused.json()["error"]["fields"], refused.json()
    settled.team.refresh_from_db()
    assert (settled.team.rest_after_sleep_pages, settled.team.rest_notice_nights) == (3, 4)
    assert api_for(settled.bruno).patch(path, {"rest_notice_nights": 1}).status_code == 403
    off = admin.patch(path, {"rest_after_sleep_pages": None}, format="json")
    assert off.status_code == 200 and off.json()["rest_after_sleep_pages"] is None
    change = AuditEntry.objects.filter(object_type="team", action="update").latest("id")
    assert change.source == "api" and "rest_after_sleep_pages" in change.changes


def browser(member: Person) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def test_a_team_admin_sets_rest_protection_on_the_team_page(settled):
    page = f"/teams/{settled.team.pk}/"
    form = f"/teams/{settled.team.pk}/rest/"
    marta = browser(settled.marta)
    shown = marta.get(page).content.decode()
    assert "Rest protection" in shown and "Save rest protection" in shown
    saved = marta.post(form, {"rest_after_sleep_pages": "3", "rest_notice_nights": ""})
    assert saved.status_code == 302
    settled.team.refresh_from_db()
    assert (settled.team.rest_after_sleep_pages, settled.team.rest_notice_nights) == (3, None)
    refused = marta.post(form, {"rest_after_sleep_pages": "2", "rest_notice_nights": "9"})
    assert refused.status_code == 400
    assert "Ensure this value is less than or equal to 7." in refused.content.decode()
    settled.team.refresh_from_db()
    assert settled.team.rest_after_sleep_pages == 3  # nothing stored half-way
    bruno = browser(settled.bruno)
    assert "Save rest protection" not in bruno.get(page).content.decode()
    assert bruno.post(form, {"rest_after_sleep_pages": "1"}).status_code == 403
    settled.team.refresh_from_db()
    assert settled.team.rest_after_sleep_pages == 3
    assert Team.objects.get(pk=settled.team.pk).rest_notice_nights is None


def test_the_nights_module_is_pure():
    source = Path(nights.__file__).read_text()
    assert "django" not in source and ".now(" not in source
