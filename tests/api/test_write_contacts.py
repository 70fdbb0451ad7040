"""Contact methods and notification rules through the API: everyone manages their own, a team
admin those of its members; a new or moved address proves itself with a code texted by the
(fake) Twilio; nothing is half-saved; another team's do not exist."""

import re
from datetime import timedelta

import pytest

from oncall import clock
from oncall.models import ContactMethod, NotificationRule
from oncall.verification import MAX_ATTEMPTS
from tests.fakes.providers import FakeProviders

pytestmark = pytest.mark.django_db

METHODS = "/api/v1/contact-methods/"
RULES = "/api/v1/notification-rules/"
CODE = re.compile(r"code is (\d{6})\.")
SID, TOKEN, FROM = "AC" + "2" * 32, "twilio-token", "+15005550006"


@pytest.fixture
def twilio(settings):
    """The fake Twilio, which Plantão texts through."""
    with FakeProviders(twilio_account_sid=SID, twilio_auth_token=TOKEN) as fake:
        settings.TWILIO_ACCOUNT_SID = SID
        settings.TWILIO_AUTH_TOKEN = TOKEN
        settings.TWILIO_FROM_NUMBER = FROM
        settings.TWILIO_API_BASE = fake.twilio_base
        settings.PLANTAO_CHANNEL = "auto"
        yield fake.twilio


@pytest.fixture
def worker(monkeypatch, django_capture_on_commit_callbacks):
    """worker() -> a block in which what a commit queues is done at once, as a worker would."""
    from oncall import tasks
    from oncall.config.celery import app

    def send_task(name, args):
        getattr(tasks, name.rsplit(".", 1)[1])(*args)

    monkeypatch.setattr(app, "send_task", send_task)
    return lambda: django_capture_on_commit_callbacks(execute=True)


def texted(twilio, number: str) -> list[str]:
    """Return the codes texted to `number`, oldest first."""
    return [CODE.search(m["Body"]).group(1) for m in twilio.messages if m["To"] == number]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def error_of(answer) -> dict:
    return answer.json()["error"]


# Contact methods


def test_a_person_adds_a_phone_and_verifies_it_with_the_code_texted(worlds, api, twilio, worker):
    red, _ = worlds
    client = api("viewer", "respond")  # anyone manages their own, whatever their role
    with worker():
        answer = client.post(
            METHODS, {"kind": "sms", "address": "+351 912-345 678", "label": "mobile"}
        )
    assert answer.status_code == 201, answer.json()
    made = answer.json()
    assert made["person"] == {"id": red.people["viewer"].pk, "name": "red viewer"}
    assert made["address"] == "+351912345678" and made["name"] == "mobile"
    assert made["verified"] is False
    (code,) = texted(twilio, "+351912345678")

    refused = client.post(f"{METHODS}{made['id']}/verify/", {"code": wrong(code)})
    assert refused.status_code == 400
    assert "wrong or expired" in error_of(refused)["fields"]["code"][0]
    assert ContactMethod.objects.get(pk=made["id"]).verified_at is None

    verified = client.post(f"{METHODS}{made['id']}/verify/", {"code": code})
    assert verified.status_code == 200
    assert verified.json()["verified"] is True and verified.json()["verified_at"]
    assert ContactMethod.objects.get(pk=made["id"]).is_verified


def test_a_new_code_is_sent_on_request_at_most_once_a_minute(
    worlds, api, twilio, worker, frozen_now
):
    red, _ = worlds
    now = frozen_now(clock.now())
    client = api("responder", "respond")
    with worker():
        made = client.post(METHODS, {"kind": "sms", "address": "+12125559999"}).json()
    ask = f"{METHODS}{made['id']}/send-verification/"
    again = client.post(ask)
    assert again.status_code == 400 and "less than a minute" in error_of(again)["message"]
    frozen_now(now + timedelta(seconds=61))
    with worker():
        sent = client.post(ask)
    assert sent.status_code == 202 and sent.json()["id"] == made["id"]
    first, second = texted(twilio, "+12125559999")
    assert client.post(f"{METHODS}{made['id']}/verify/", {"code": second}).status_code == 200

    verified = client.post(ask)
    assert verified.status_code == 400 and "verified already" in error_of(verified)["message"]
    voice = client.post(METHODS, {"kind": "voice", "address": "+12125559998"}).json()
    by_sms = client.post(f"{METHODS}{voice['id']}/send-verification/")
    assert by_sms.status_code == 400 and "SMS twin" in error_of(by_sms)["message"]
    assert len(twilio.messages) == 2


def test_wrong_codes_use_up_the_tries_and_then_the_right_one_fails_too(worlds, api, twilio, worker):
    client = api("responder", "respond")
    with worker():
        made = client.post(METHODS, {"kind": "sms", "address": "+12125559997"}).json()
    (code,) = texted(twilio, "+12125559997")
    verify = f"{METHODS}{made['id']}/verify/"
    for _ in range(MAX_ATTEMPTS):
        assert client.post(verify, {"code": wrong(code)}).status_code == 400
    assert client.post(verify, {"code": code}).status_code == 400
    assert not ContactMethod.objects.get(pk=made["id"]).is_verified
    assert client.post(verify, {}).status_code == 400  # no code: the field is named


def test_a_changed_address_loses_its_verification_and_is_sent_a_code(worlds, api, twilio, worker):
    red, _ = worlds
    method = red.people["responder"].contact_methods.get()
    assert method.is_verified
    client = api("responder", "respond")
    relabelled = client.patch(f"{METHODS}{method.pk}/", {"label": "work phone"})
    assert relabelled.status_code == 200 and relabelled.json()["verified"] is True
    with worker():
        moved = client.patch(f"{METHODS}{method.pk}/", {"address": "+12125551111"})
    assert moved.status_code == 200
    assert moved.json()["verified"] is False and moved.json()["label"] == "work phone"
    method.refresh_from_db()
    assert method.address == "+12125551111" and method.verified_at is None
    (code,) = texted(twilio, "+12125551111")
    assert client.post(f"{METHODS}{method.pk}/verify/", {"code": code}).json()["verified"]


def test_a_team_admin_provisions_a_members_method_verified_and_no_one_else_may(
    worlds, api, twilio, worker
):
    red, _ = worlds
    viewer = red.people["viewer"]
    body = {"person": viewer.pk, "kind": "email", "address": "viewer@example.org"}
    before = ContactMethod.objects.count()
    for role, scope in [("viewer", "admin"), ("responder", "respond"), ("admin", "respond")]:
        with worker():
            refused = api(role, scope).post(METHODS, {**body, "verified": True})
        assert refused.status_code == 403, (role, scope)
    assert ContactMethod.objects.count() == before and not twilio.messages
    with worker():
        made = api("admin", "admin").post(METHODS, {**body, "verified": True})
    assert made.status_code == 201 and made.json()["verified"] is True
    assert made.json()["address"] == "viewer@example.org"  # whole, for the team's admin
    assert not twilio.messages  # verified: no code sent


def test_a_method_with_a_bad_address_is_refused_by_kind_and_nothing_is_stored(worlds, api):
    red, _ = worlds
    client = api("responder", "admin")
    before = ContactMethod.objects.count()
    for body, field, words in [
        ({"kind": "sms", "address": "912345678"}, "address", "E.164"),
        ({"kind": "voice", "address": "call me"}, "address", "E.164"),
        ({"kind": "email", "address": "nobody-at-example"}, "address", "not an e-mail address"),
        ({"kind": "slack", "address": "@ines"}, "address", "Slack member id"),
        ({"kind": "fax", "address": "+12125550000"}, "kind", "not a valid choice"),
        ({"kind": "sms"}, "address", "required"),
        ({"kind": "sms", "address": "+12125550001"}, "address", "already"),  # their own
    ]:
        answer = client.post(METHODS, body)
        assert answer.status_code == 400, body
        error = error_of(answer)
        assert error["code"] == "invalid" and words in error["fields"][field][0], error
    method = red.people["responder"].contact_methods.get()
    moved = client.patch(f"{METHODS}{method.pk}/", {"address": "not a number"})
    assert moved.status_code == 400 and "E.164" in error_of(moved)["fields"]["address"][0]
    assert ContactMethod.objects.count() == before
    method.refresh_from_db()
    assert method.address == "+12125550001" and method.is_verified


def test_another_teams_methods_do_not_exist(worlds, api):
    red, blue = worlds
    theirs = blue.people["responder"].contact_methods.get()
    client = api("admin", "admin")
    for answer in [
        client.patch(f"{METHODS}{theirs.pk}/", {"label": "mine now"}),
        client.delete(f"{METHODS}{theirs.pk}/"),
        client.post(f"{METHODS}{theirs.pk}/send-verification/"),
        client.post(f"{METHODS}{theirs.pk}/verify/", {"code": "123456"}),
    ]:
        assert answer.status_code == 404
    before = ContactMethod.objects.count()
    body = {"person": blue.people["responder"].pk, "kind": "sms", "address": "+12125553333"}
    named = client.post(METHODS, body)
    assert named.status_code == 400
    assert error_of(named)["fields"]["person"] == ["There is no such person in your teams."]
    assert ContactMethod.objects.count() == before
    theirs.refresh_from_db()
    assert theirs.label == ""


def test_only_the_person_or_their_team_admin_changes_their_methods(worlds, api, worker):
    red, _ = worlds
    admins = red.people["admin"].contact_methods.get()
    viewers = red.people["viewer"].contact_methods.get()
    own = f"{METHODS}{viewers.pk}/"
    read = api("viewer", "read").patch(own, {"label": "x"})
    assert read.status_code == 403 and "read token" in error_of(read)["message"]
    for role, scope in [("responder", "respond"), ("viewer", "admin"), ("admin", "respond")]:
        answer = api(role, scope).patch(f"{METHODS}{admins.pk}/", {"label": "x"})
        if role == "admin":  # their own, with a respond token: allowed
            assert answer.status_code == 200
            continue
        assert answer.status_code == 403, (role, scope)
        assert "admin role" in error_of(answer)["message"]
    for path in (f"{own}send-verification/", f"{own}verify/"):
        assert api("responder", "respond").post(path, {"code": "1"}).status_code == 403
    assert api("admin", "respond").patch(own, {"label": "x"}).status_code == 403  # scope caps
    assert api("responder", "admin").delete(own).status_code == 403
    assert api("admin", "admin").patch(own, {"label": "desk"}).status_code == 200
    assert ContactMethod.objects.get(pk=viewers.pk).label == "desk"
    verify = api("viewer", "respond").patch(own, {"verified": False})
    assert verify.status_code == 403 and "send it a code" in error_of(verify)["message"]


def test_the_last_verified_method_of_someone_on_a_rota_cannot_be_deleted(worlds, api, worker):
    red, _ = worlds
    responder = red.people["responder"]  # takes turns in red-primary's weekly layer
    only = responder.contact_methods.get()
    client = api("responder", "respond")
    refused = client.delete(f"{METHODS}{only.pk}/")
    assert refused.status_code == 409
    message = error_of(refused)["message"]
    assert "last verified" in message and "red-primary / weekly" in message
    assert ContactMethod.objects.filter(pk=only.pk).exists()

    spare = api("admin", "admin").post(
        METHODS, {"person": responder.pk, "kind": "voice", "address": "+12125557777"}
    )
    unverified = client.delete(f"{METHODS}{only.pk}/")  # an unverified spare does not count
    assert unverified.status_code == 409
    api("admin", "admin").patch(f"{METHODS}{spare.json()['id']}/", {"verified": True})
    assert client.delete(f"{METHODS}{only.pk}/").status_code == 204
    assert not ContactMethod.objects.filter(pk=only.pk).exists()
    assert not NotificationRule.objects.filter(contact_method_id=only.pk).exists()  # with it

    viewer_method = red.people["viewer"].contact_methods.get()  # not on a rota: may go
    assert api("viewer", "respond").delete(f"{METHODS}{viewer_method.pk}/").status_code == 204


# Notification rules


def test_a_person_sets_when_each_method_reaches_them(worlds, api):
    red, _ = worlds
    responder = red.people["responder"]
    method = responder.contact_methods.get()
    client = api("responder", "respond")
    made = client.post(RULES, {"contact_method": method.pk, "delay_minutes": 5})
    assert made.status_code == 201, made.json()
    rule = made.json()
    assert rule["person"] == {"id": responder.pk, "name": "red responder"}
    assert rule["urgency"] == "high" and rule["name"] == "SMS after 5 min"
    path = f"{RULES}{rule['id']}/"
    changed = client.patch(path, {"delay_minutes": 10, "urgency": "low"})
    assert changed.status_code == 200 and changed.json()["name"] == "SMS after 10 min"
    replaced = client.put(path, {"contact_method": method.pk, "delay_minutes": 15})
    assert replaced.status_code == 200 and replaced.json()["urgency"] == "high"
    stored = NotificationRule.objects.get(pk=rule["id"])
    assert (stored.delay_minutes, stored.urgency) == (15, "high")
    assert client.delete(path).status_code == 204
    assert not NotificationRule.objects.filter(pk=rule["id"]).exists()


def test_a_bad_rule_is_refused_and_nothing_is_stored(worlds, api):
    red, _ = worlds
    method = red.people["responder"].contact_methods.get()
    client = api("responder", "respond")
    before = list(NotificationRule.objects.values_list("pk", "delay_minutes", "urgency"))
    for body, field in [
        ({"contact_method": method.pk, "delay_minutes": -1}, "delay_minutes"),
        ({"contact_method": method.pk, "delay_minutes": 100000}, "delay_minutes"),
        ({"contact_method": method.pk, "delay_minutes": 1, "urgency": "urgent"}, "urgency"),
        ({"contact_method": method.pk, "delay_minutes": 0}, "delay_minutes"),  # exists already
        ({"contact_method": "sms", "delay_minutes": 1}, "contact_method"),
        ({"delay_minutes": 1}, "contact_method"),
    ]:
        answer = client.post(RULES, body)
        assert answer.status_code == 400, body
        assert field in error_of(answer)["fields"], (body, answer.json())
    existing = NotificationRule.objects.filter(contact_method=method, urgency="low").get()
    clash = client.patch(f"{RULES}{existing.pk}/", {"urgency": "high"})  # high at 0 exists
    assert clash.status_code == 400
    assert before == list(NotificationRule.objects.values_list("pk", "delay_minutes", "urgency"))


def test_another_teams_rules_and_methods_do_not_exist(worlds, api):
    red, blue = worlds
    theirs = blue.people["responder"].notification_rules.first()
    client = api("admin", "admin")
    assert client.patch(f"{RULES}{theirs.pk}/", {"delay_minutes": 9}).status_code == 404
    assert client.put(f"{RULES}{theirs.pk}/", {}).status_code == 404
    assert client.delete(f"{RULES}{theirs.pk}/").status_code == 404
    before = NotificationRule.objects.count()
    answer = client.post(RULES, {"contact_method": theirs.contact_method_id, "delay_minutes": 3})
    assert answer.status_code == 400
    assert error_of(answer)["fields"]["contact_method"] == [
        "There is no such contact method in your teams."
    ]
    mine = red.people["admin"].notification_rules.first()
    moved = client.patch(f"{RULES}{mine.pk}/", {"contact_method": theirs.contact_method_id})
    assert moved.status_code == 400
    assert NotificationRule.objects.count() == before
    mine.refresh_from_db()
    assert mine.contact_method.person == red.people["admin"]


def test_only_the_person_or_their_team_admin_changes_their_rules(worlds, api):
    red, _ = worlds
    viewer = red.people["viewer"]
    rule = viewer.notification_rules.first()
    method = viewer.contact_methods.get()
    path = f"{RULES}{rule.pk}/"
    assert api("viewer", "read").patch(path, {"delay_minutes": 2}).status_code == 403
    assert api("responder", "respond").patch(path, {"delay_minutes": 2}).status_code == 403
    assert api("responder", "admin").delete(path).status_code == 403
    body = {"contact_method": method.pk, "delay_minutes": 7}
    assert api("viewer", "read").post(RULES, body).status_code == 403
    assert api("responder", "admin").post(RULES, body).status_code == 403
    assert NotificationRule.objects.filter(person=viewer).count() == 2
    assert api("admin", "admin").post(RULES, body).status_code == 201  # their team's admin
    assert api("viewer", "respond").patch(path, {"delay_minutes": 2}).status_code == 200
    rule.refresh_from_db()
    assert rule.delay_minutes == 2
