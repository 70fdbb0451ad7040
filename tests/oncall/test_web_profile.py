"""/profile/: a person's own page. Every form shows its errors in place and stores nothing when
refused; a person only ever sees and changes their own methods, rules, tokens and calendar links
(another person's id in a POST is a 404); a new token's secret is shown once, and a revoked one
is refused by the API."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from oncall.channels.recording import sends
from oncall.models import ApiToken, CalendarFeed, ContactMethod, NotificationRule
from oncall.services import calendar_feed_create, contact_method_create
from oncall.tokens import api_token_create
from tests.api.conftest import T0, worlds  # noqa: F401 (a fixture)
from tests.oncall.test_web import text

pytestmark = pytest.mark.django_db

PROFILE = "/profile/"
CODE = re.compile(r"code is (\d{6})\.")


@pytest.fixture
def recorded(settings, tmp_path):
    """Send codes through the recording channel; call it to read the codes sent, oldest first."""
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "sent.jsonl")
    return lambda: [CODE.search(s["body"]).group(1) for s in sends(settings.PLANTAO_RECORDING_PATH)]


@pytest.fixture
def worker(monkeypatch, django_capture_on_commit_callbacks):
    """worker() -> a block in which what a commit queues is done at once, as a worker would."""
    from oncall import tasks
    from oncall.config.celery import app

    def send_task(name, args):
        getattr(tasks, name.rsplit(".", 1)[1])(*args)

    monkeypatch.setattr(app, "send_task", send_task)
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def red(worlds):  # noqa: F811
    return worlds[0]


@pytest.fixture
def me(red):
    return red.people["responder"]


@pytest.fixture
def browser(me):
    client = Client()
    client.force_login(me.user)
    return client


def errors(response) -> list[str]:
    page = response.content.decode()
    return [text(e) for e in re.findall(r'<p class="field__error"[^>]*>(.*?)</p>', page, re.S)]


def test_the_page_shows_my_own_methods_rules_tokens_and_links_and_nobody_elses(red, me, browser):
    api_token_create(user=me.user, name="my script", scope="read", now=T0)
    api_token_create(user=red.people["admin"].user, name="admin script", scope="admin", now=T0)
    calendar_feed_create(person=red.people["admin"])
    page = browser.get(PROFILE)
    assert page.status_code == 200
    body = text(page.content.decode())
    assert "+12125550001" in body  # mine
    assert "+12125550000" not in body and "+12125550002" not in body  # the admin's, the viewer's
    assert "my script" in body and "admin script" not in body
    assert "No calendar links." in body
    assert "At once: SMS +12125550001" in body


def test_my_name_time_zone_and_locale_are_saved_whole_or_not_at_all(me, browser):
    refused = browser.post(
        "/profile/details/",
        {"display_name": "Inês", "time_zone": "Europe/Lisbn", "locale": "english!"},
    )
    assert refused.status_code == 400
    assert errors(refused) == [
        "Europe/Lisbn is not a known time zone; use an IANA name such as Europe/Lisbon.",
        "english! is not a language tag; use one such as en or pt-BR.",
    ]
    assert 'value="Europe/Lisbn"' in refused.content.decode()  # what was typed stays
    me.refresh_from_db()
    assert (me.display_name, me.time_zone, me.locale) == ("red responder", "UTC", "en")

    saved = browser.post(
        "/profile/details/",
        {"display_name": "Inês", "time_zone": "America/Sao_Paulo", "locale": "pt-BR"},
    )
    assert saved.status_code == 302
    me.refresh_from_db()
    assert (me.display_name, me.time_zone, me.locale) == ("Inês", "America/Sao_Paulo", "pt-BR")
    page = browser.get(PROFILE).content.decode()
    assert "Saved your profile." in page
    assert "Times in <strong>America/Sao_Paulo</strong> (UTC-0300)" in page


def test_a_new_phone_is_sent_a_code_and_verified_with_it(me, browser, recorded, worker):
    with worker():
        added = browser.post(
            "/profile/contact-methods/",
            {"kind": "sms", "address": "+351 912 345 678", "label": "Work phone"},
        )
    assert added.status_code == 302
    method = ContactMethod.objects.get(person=me, address="+351912345678")
    assert method.label == "Work phone" and not method.is_verified
    (code,) = recorded()
    page = browser.get(PROFILE)
    assert "We sent it a code" in page.content.decode()
    assert "Not verified" in text(page.content.decode())

    wrong = f"{(int(code) + 1) % 10**6:06d}"
    refused = browser.post(f"/profile/contact-methods/{method.pk}/verify/", {"code": wrong})
    assert refused.status_code == 400
    assert errors(refused) == ["The code is wrong or expired; check it, or ask for a new one."]
    method.refresh_from_db()
    assert not method.is_verified

    assert (
        browser.post(f"/profile/contact-methods/{method.pk}/verify/", {"code": code}).status_code
        == 302
    )
    method.refresh_from_db()
    assert method.is_verified
    assert "Verified SMS +351912345678." in browser.get(PROFILE).content.decode()


def test_a_new_code_is_refused_within_the_minute_with_a_message(me, browser, recorded, worker):
    with worker():
        browser.post("/profile/contact-methods/", {"kind": "email", "address": "me@example.org"})
    method = ContactMethod.objects.get(person=me, kind="email")
    with worker():
        again = browser.post(f"/profile/contact-methods/{method.pk}/send-code/", follow=True)
    assert "A code was sent less than a minute ago; wait for it." in again.content.decode()
    assert len(recorded()) == 1


def test_a_bad_contact_method_is_refused_in_place_and_nothing_is_stored(me, browser):
    before = ContactMethod.objects.count()
    refused = browser.post("/profile/contact-methods/", {"kind": "sms", "address": "912345678"})
    assert refused.status_code == 400
    assert errors(refused) == [
        "912345678 is not a phone number in E.164 form, such as +351912345678."
    ]
    twin = browser.post("/profile/contact-methods/", {"kind": "sms", "address": "+12125550001"})
    assert twin.status_code == 400
    assert errors(twin) == ["red responder has this SMS address already."]
    blank = browser.post("/profile/contact-methods/", {"kind": "pigeon", "address": ""})
    assert blank.status_code == 400
    assert len(errors(blank)) == 2
    assert ContactMethod.objects.count() == before


def test_my_last_verified_method_is_not_deleted_while_i_take_turns(me, browser):
    method = me.contact_methods.get()
    refused = browser.post(f"/profile/contact-methods/{method.pk}/delete/", follow=True)
    assert "This is the last verified way to reach red responder" in text(refused.content.decode())
    assert ContactMethod.objects.filter(pk=method.pk).exists()
    spare = contact_method_create(person=me, kind="email", address="me@example.org")
    assert browser.post(f"/profile/contact-methods/{spare.pk}/delete/").status_code == 302
    assert not ContactMethod.objects.filter(pk=spare.pk).exists()


def test_rules_are_added_per_urgency_and_bad_ones_refused_in_place(red, me, browser):
    method = me.contact_methods.get()
    theirs = red.people["admin"].contact_methods.get()
    before = NotificationRule.objects.count()
    for body, expected in (
        (
            {"urgency": "high", "contact_method": theirs.pk, "delay_minutes": 5},
            ["Choose one of your contact methods listed."],
        ),
        (
            {"urgency": "high", "contact_method": method.pk, "delay_minutes": -1},
            ["Ensure this value is greater than or equal to 0."],
        ),
        (
            {"urgency": "low", "contact_method": method.pk, "delay_minutes": 0},
            ["A rule already reaches this method after as many minutes."],
        ),
    ):
        refused = browser.post("/profile/rules/", body)
        assert refused.status_code == 400
        assert errors(refused) == expected
    assert NotificationRule.objects.count() == before

    assert (
        browser.post(
            "/profile/rules/", {"urgency": "low", "contact_method": method.pk, "delay_minutes": 10}
        ).status_code
        == 302
    )
    rule = NotificationRule.objects.get(person=me, urgency="low", delay_minutes=10)
    assert "After 10 min: SMS +12125550001" in text(browser.get(PROFILE).content.decode())
    assert browser.post(f"/profile/rules/{rule.pk}/delete/").status_code == 302
    assert not NotificationRule.objects.filter(pk=rule.pk).exists()


def test_another_persons_things_do_not_exist_for_me(red, me, browser):
    other = red.people["admin"]
    method = other.contact_methods.get()
    rule = other.notification_rules.first()
    token, _ = api_token_create(user=other.user, name="theirs", scope="admin", now=T0)
    feed, _ = calendar_feed_create(person=other)
    for path in (
        f"/profile/contact-methods/{method.pk}/verify/",
        f"/profile/contact-methods/{method.pk}/send-code/",
        f"/profile/contact-methods/{method.pk}/delete/",
        f"/profile/rules/{rule.pk}/delete/",
        f"/profile/tokens/{token.pk}/revoke/",
        f"/profile/calendar-links/{feed.pk}/revoke/",
    ):
        assert browser.post(path, {"code": "123456"}).status_code == 404, path
    assert ContactMethod.objects.filter(pk=method.pk).exists()
    assert NotificationRule.objects.filter(pk=rule.pk).exists()
    token.refresh_from_db()
    feed.refresh_from_db()
    assert token.revoked_at is None and feed.revoked_at is None


def test_a_new_tokens_secret_is_shown_once_and_a_revoked_token_is_refused(me, browser):
    refused = browser.post("/profile/tokens/", {"name": " ", "scope": "root", "expires_in_days": 0})
    assert refused.status_code == 400
    assert errors(refused) == [
        "This field is required.",
        "Select a valid choice. root is not one of the available choices.",
        "Ensure this value is greater than or equal to 1.",
    ]
    assert not ApiToken.objects.filter(user=me.user).exists()

    created = browser.post(
        "/profile/tokens/", {"name": "laptop", "scope": "read", "expires_in_days": 30}
    )
    assert created.status_code == 201
    token = ApiToken.objects.get(user=me.user)
    assert (token.expires_at - token.created_at).days == 30
    page = created.content.decode()
    (secret,) = re.findall(r'id="secret-value" type="text" value="(plt_[^"]+)"', page)
    assert secret not in str(dict(browser.session))  # held nowhere but in that answer
    assert "plt_" not in browser.get(PROFILE).content.decode()  # shown once only

    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/oncall/").status_code == 200
    assert browser.post(f"/profile/tokens/{token.pk}/revoke/").status_code == 302
    assert api.get("/api/v1/oncall/").status_code == 401
    page = browser.get(PROFILE).content.decode()
    assert "Revoked the API token laptop." in page
    assert f'id="token-{token.pk}"' not in page  # gone from the list


def test_a_calendar_link_is_shown_once_works_and_stops_when_revoked(me, browser):
    created = browser.post("/profile/calendar-links/")
    assert created.status_code == 201
    page = created.content.decode()
    (url,) = re.findall(r'id="secret-value" type="text" value="([^"]+)"', page)
    assert "/ical/" not in browser.get(PROFILE).content.decode()
    feed = CalendarFeed.objects.get(person=me)
    path = url.removeprefix("http://testserver")
    assert path == reverse("ical-feed", args=[path.split("/")[-1].removesuffix(".ics")])
    assert Client().get(path).status_code == 200
    assert browser.post(f"/profile/calendar-links/{feed.pk}/revoke/").status_code == 302
    assert Client().get(path).status_code == 404


def test_logged_out_people_are_sent_to_log_in(me):
    assert Client().get(PROFILE).url.startswith("/login/")
    assert Client().post("/profile/tokens/", {"name": "x", "scope": "read"}).status_code == 302


def test_changes_made_on_the_page_are_in_the_audit_log_as_mine_from_the_web(me, browser):
    from oncall.models import AuditEntry

    browser.post("/profile/details/", {"display_name": "Inês", "time_zone": "UTC", "locale": "en"})
    browser.post("/profile/tokens/", {"name": "laptop", "scope": "read"})
    token = ApiToken.objects.get(user=me.user)
    browser.post(f"/profile/tokens/{token.pk}/revoke/")
    entries = AuditEntry.objects.filter(actor_user_id=me.user.pk).order_by("pk")
    assert [(e.object_type, e.action, e.source) for e in entries] == [
        ("person", "update", "web"),
        ("api_token", "create", "web"),
        ("api_token", "revoke", "web"),
    ]
    assert "digest" not in str(entries[1].changes)


def test_token_times_are_in_my_zone_with_the_offset_of_their_own_day(me, browser):
    from datetime import UTC, datetime

    from oncall.services import person_update

    person_update(person=me, time_zone="Europe/Lisbon")
    summer = datetime(2027, 7, 1, 12, 0, tzinfo=UTC)
    api_token_create(user=me.user, name="summer", scope="read", now=T0, expires_at=summer)
    body = text(browser.get(PROFILE).content.decode())
    assert "2 Nov 2026 09:00 UTC+0000" in body  # created in winter
    assert "1 Jul 2027 13:00 UTC+0100" in body  # expires in summer time
