"""Contact verification: a code sent to the address, typed back in time, a few tries at most."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from oncall import clock, services
from oncall.channels.recording import sends
from oncall.models import ContactMethod
from oncall.verification import (
    MAX_ATTEMPTS,
    verification_by_reply,
    verification_check,
    verification_start,
)
from tests.incidents.test_chaos import concurrently

T0 = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)
CODE = re.compile(r"code is (\d{6})\.")


@pytest.fixture
def method(db, settings, tmp_path):
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "sent.jsonl")
    person = services.person_create(
        username="ines", display_name="Inês", email="ines@example.org", time_zone="Europe/Lisbon"
    )
    return services.contact_method_create(person=person, kind="sms", address="+351912345678")


def code_sent(settings) -> str:
    (last,) = sends(settings.PLANTAO_RECORDING_PATH)[-1:]
    assert last["address"] == "+351912345678" and last["kind"] == "sms"
    return CODE.search(last["body"]).group(1)


def test_the_code_sent_verifies_the_number(method, settings):
    verification_start(method=method, now=T0)
    code = code_sent(settings)
    assert method.verification_digest and code not in method.verification_digest
    assert not verification_check(
        method=method, code="000000" if code != "000000" else "111111", now=T0
    )
    assert verification_check(method=method, code=code, now=T0 + timedelta(minutes=1))
    method.refresh_from_db()
    assert method.verified_at == T0 + timedelta(minutes=1)
    assert not verification_check(method=method, code=code, now=T0)  # used: gone


def test_an_expired_code_or_too_many_tries_verify_nothing(method, settings):
    verification_start(method=method, now=T0)
    code = code_sent(settings)
    assert not verification_check(method=method, code=code, now=T0 + timedelta(minutes=15))
    verification_start(method=method, now=T0 + timedelta(minutes=16))
    code = code_sent(settings)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(MAX_ATTEMPTS):
        assert not verification_check(method=method, code=wrong, now=T0 + timedelta(minutes=17))
    assert not verification_check(method=method, code=code, now=T0 + timedelta(minutes=17))
    assert ContactMethod.objects.get(pk=method.pk).verified_at is None


def test_a_new_code_waits_a_minute_and_voice_is_verified_through_sms(method):
    verification_start(method=method, now=T0)
    with pytest.raises(ValidationError, match="less than a minute"):
        verification_start(method=method, now=T0 + timedelta(seconds=30))
    verification_start(method=method, now=T0 + timedelta(seconds=61))
    voice = services.contact_method_create(
        person=method.person, kind="voice", address="+351912345678"
    )
    with pytest.raises(ValidationError, match="SMS twin"):
        verification_start(method=voice, now=T0)


def test_replying_the_code_from_the_number_verifies_it(method, settings):
    verification_start(method=method, now=T0)
    code = code_sent(settings)
    assert verification_by_reply(number="+351900000000", text=code, now=T0) is None
    assert verification_by_reply(number="+351912345678", text="hello", now=T0) is None
    assert verification_by_reply(number="+351912345678", text=f" {code} ", now=T0) == method


# A new number is sent its code by a worker, once the change that made it is committed.


@pytest.fixture
def worker(monkeypatch):
    """Run the task a commit queues at once, in this process, as a worker would."""
    from oncall import tasks
    from oncall.config.celery import app

    queued = []

    def send_task(name, args):
        queued.append(name)
        getattr(tasks, name.rsplit(".", 1)[1])(*args)

    monkeypatch.setattr(app, "send_task", send_task)
    return queued


def test_a_new_phone_number_is_texted_a_code_once_it_is_saved(
    method, settings, worker, django_capture_on_commit_callbacks
):
    person = method.person
    with django_capture_on_commit_callbacks(execute=True):
        added = services.contact_method_create(person=person, kind="sms", address="+351919999999")
        assert not worker  # nothing leaves before the commit
    (sent,) = sends(settings.PLANTAO_RECORDING_PATH)
    assert sent["address"] == "+351919999999"
    code = CODE.search(sent["body"]).group(1)
    replied = verification_by_reply(number="+351919999999", text=code, now=clock.now())
    assert replied == added


def test_verified_and_voice_methods_are_sent_no_code(
    method, settings, worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.contact_method_create(
            person=method.person, kind="sms", address="+351918888888", verified=True
        )
        services.contact_method_create(person=method.person, kind="voice", address="+351918888888")
    assert not worker and not sends(settings.PLANTAO_RECORDING_PATH)


@pytest.mark.django_db
def test_in_the_admin_a_new_or_changed_number_must_prove_itself(
    client, method, settings, worker, django_capture_on_commit_callbacks, frozen_now
):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    frozen_now(T0)
    get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client.login(username="root", password="x")
    ContactMethod.objects.filter(pk=method.pk).update(verified_at=T0)
    change = reverse("admin:oncall_contactmethod_change", args=[method.pk])
    form = {
        "person": method.person.pk,
        "kind": "sms",
        "address": "+351917777777",
        "label": "",
        "verified_at_0": "2027-01-13",
        "verified_at_1": "10:00:00",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(change, form).status_code == 302
    method.refresh_from_db()
    assert method.address == "+351917777777" and method.verified_at is None
    assert [s["address"] for s in sends(settings.PLANTAO_RECORDING_PATH)] == ["+351917777777"]

    # Asking again from the list, a minute later, sends another code.
    changelist = reverse("admin:oncall_contactmethod_changelist")
    later = {"action": "send_verification_code", "_selected_action": [method.pk]}
    frozen_now(T0 + timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(changelist, later).status_code == 302
    assert len(sends(settings.PLANTAO_RECORDING_PATH)) == 2


def test_a_verified_number_verifies_its_calls_too(method, settings):
    voice = services.contact_method_create(
        person=method.person, kind="voice", address="+351912345678"
    )
    other = services.contact_method_create(
        person=method.person, kind="voice", address="+351911111111"
    )
    verification_start(method=method, now=T0)
    assert verification_check(method=method, code=code_sent(settings), now=T0)
    assert ContactMethod.objects.get(pk=voice.pk).verified_at == T0
    assert ContactMethod.objects.get(pk=other.pk).verified_at is None


@pytest.fixture
def method_committed(transactional_db, settings, tmp_path):
    """The method of `method`, committed, for workers on connections of their own."""
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "sent.jsonl")
    person = services.person_create(
        username="ines", display_name="Inês", email="ines@example.org", time_zone="Europe/Lisbon"
    )
    return services.contact_method_create(person=person, kind="sms", address="+351912345678")


@pytest.mark.postgres
def test_wrong_codes_guessed_at_once_use_up_the_tries_as_one_after_another_would(
    method_committed, settings
):
    verification_start(method=method_committed, now=T0)
    code = code_sent(settings)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    def guess(n):  # each request loads the method, as the profile page and an SMS reply do
        method = ContactMethod.objects.get(pk=method_committed.pk)
        assert not verification_check(method=method, code=wrong, now=T0)

    concurrently(guess, threads=3 * MAX_ATTEMPTS)
    method = ContactMethod.objects.get(pk=method_committed.pk)
    assert method.verification_attempts == MAX_ATTEMPTS
    assert not verification_check(method=method, code=code, now=T0)  # locked out, right or not
    assert ContactMethod.objects.get(pk=method.pk).verified_at is None
