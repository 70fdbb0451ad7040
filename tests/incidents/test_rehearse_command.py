"""`manage.py rehearse` refuses bad options and unreachable servers clearly, with exit code 2."""

import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from oncall.models import ApiToken
from tests.webserver import ROOT, free_port


def refused(*args) -> CommandError:
    with pytest.raises(CommandError) as caught:
        call_command("rehearse", *args)
    return caught.value


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--alerts", "0", "--rate", "10"], "--alerts must be at least 1"),
        (["--alerts", "10", "--rate", "0"], "--rate must be at least 1"),
        (["--alerts", "10", "--rate", "5", "--concurrency", "0"], "--concurrency"),
        (["--alerts", "10", "--rate", "5", "--wait", "-1"], "--wait must not be negative"),
        (["--alerts", "10", "--rate", "5", "--max-errors", "-1"], "--max-errors"),
        (["--alerts", "10", "--rate", "5", "--url", "ftp://x"], "--url must start with http"),
        (
            ["--alerts", "10", "--rate", "5", "--url", "http://elsewhere.example:8000"],
            "give --token",
        ),
    ],
)
def test_bad_options_are_named_and_exit_2(args, says):
    error = refused(*args)
    assert error.returncode == 2
    assert says in str(error)


@pytest.mark.django_db
def test_no_token_and_no_superuser_to_mint_one_for_exits_2():
    error = refused("--alerts", "10", "--rate", "5")
    assert error.returncode == 2
    assert "give --token" in str(error) and "no superuser" in str(error)


@pytest.mark.django_db
def test_an_unreachable_server_exits_2_and_the_minted_token_is_revoked(settings, django_user_model):
    django_user_model.objects.create_superuser("root", password="x")
    settings.PUBLIC_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    error = refused("--alerts", "10", "--rate", "5")
    assert error.returncode == 2
    assert "cannot reach" in str(error)
    minted = ApiToken.objects.get()
    assert (minted.scope, minted.name) == ("admin", "manage.py rehearse")
    assert minted.revoked_at is not None
    assert minted.expires_at - minted.created_at <= __import__("datetime").timedelta(hours=1)


def test_from_the_shell_an_unknown_shape_exits_2_naming_the_choices():
    done = subprocess.run(
        [sys.executable, "manage.py", "rehearse", "--alerts", "5", "--rate", "5", "--shape", "x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "invalid choice: 'x'" in done.stderr and "storm" in done.stderr
