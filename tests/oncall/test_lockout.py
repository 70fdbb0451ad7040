"""Failed sign-ins lock a username at one address out, for longer each time, on both login
pages; the same person elsewhere, and everyone else, still get in."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import get_user_model
from django.db.models import F

from oncall.lockout import lockout_length

PASSWORD = "correct-horse-battery"
ATTACKER, ELSEWHERE = "203.0.113.7", "198.51.100.20"
LOGIN_PAGES = [
    pytest.param("/login/", id="login"),
    pytest.param("/admin/login/", id="admin-login"),
]


@pytest.fixture
def people(db):
    users = get_user_model().objects
    users.create_user("ana", password=PASSWORD, is_staff=True, is_superuser=True)
    users.create_user("bruno", password=PASSWORD, is_staff=True, is_superuser=True)


def sign_in(client, page, username, password, address=ATTACKER):
    client.logout()
    return client.post(
        page, {"username": username, "password": password, "next": "/"}, REMOTE_ADDR=address
    )


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def minutes_pass(minutes: int) -> None:
    """Move every recorded sign-in failure `minutes` into the past."""
    earlier = timedelta(minutes=minutes)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - earlier)
    AccessFailureLog.objects.update(attempt_time=F("attempt_time") - earlier)


@pytest.mark.django_db
@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_forty_wrong_passwords_lock_the_username_at_that_address_out(client, people, page):
    answers = [sign_in(client, page, "ana", f"guess-{n}").status_code for n in range(40)]
    assert answers[:4] == [200] * 4  # the form again, "wrong password"
    assert answers[4:] == [429] * 36  # locked out from the fifth: no password is tried

    locked = sign_in(client, page, "ana", PASSWORD)
    assert locked.status_code == 429 and not signed_in(locked)
    text = locked.content.decode()
    assert "Too many failed sign-ins" in text and "Try again in 5 minutes" in text
    assert "registration/locked_out.html" in [t.name for t in locked.templates]
    assert locked["Retry-After"] == "300"

    # The same person at another address, and another person at this one, still sign in.
    assert signed_in(sign_in(client, page, "ana", PASSWORD, address=ELSEWHERE))
    assert signed_in(sign_in(client, page, "bruno", PASSWORD))


@pytest.mark.django_db
@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_each_further_lockout_lasts_twice_as_long(client, people, page):
    for n in range(5):
        sign_in(client, page, "ana", f"guess-{n}")
    assert "Try again in 5 minutes" in sign_in(client, page, "ana", PASSWORD).content.decode()
    minutes_pass(6)
    # The first lockout is over; five more wrong passwords lock the pair out for ten minutes.
    for n in range(4):
        assert sign_in(client, page, "ana", f"again-{n}").status_code == 200
    second = sign_in(client, page, "ana", "again-4")
    assert second.status_code == 429 and "Try again in 10 minutes" in second.content.decode()
    assert second["Retry-After"] == "600"
    minutes_pass(6)
    assert sign_in(client, page, "ana", PASSWORD).status_code == 429  # 6 of its 10 minutes
    minutes_pass(5)
    assert signed_in(sign_in(client, page, "ana", PASSWORD))


def test_lockouts_double_up_to_four_hours():
    lengths = [lockout_length(n) for n in range(8)]
    assert [int(t.total_seconds() // 60) for t in lengths] == [5, 10, 20, 40, 80, 160, 240, 240]


@pytest.mark.django_db
def test_a_right_password_after_a_few_wrong_ones_signs_in_and_clears_them(client, people):
    for n in range(4):
        sign_in(client, "/login/", "ana", f"guess-{n}")
    assert signed_in(sign_in(client, "/login/", "ana", PASSWORD))
    for n in range(4):  # counted afresh: four more are not a lockout
        assert sign_in(client, "/login/", "ana", f"guess-{n}").status_code == 200
    assert signed_in(sign_in(client, "/login/", "ana", PASSWORD))
