"""Contact verification: a code sent to the address, typed back in time, a few tries at most."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from oncall import services
from oncall.channels.recording import sends
from oncall.models import ContactMethod
from oncall.verification import (
    MAX_ATTEMPTS,
    verification_by_reply,
    verification_check,
    verification_start,
)

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
