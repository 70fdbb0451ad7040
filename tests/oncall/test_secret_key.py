"""The embedded default makes its own SECRET_KEY on first start, and every process shares it."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from oncall.config.secret import development_secret_key

ROOT = Path(__file__).resolve().parents[2]
OLD_KEY_IN_THE_SOURCE = "plantao-dev-only-secret-key-never-use-in-production"
PRINT_KEY = (
    "from django.conf import settings; "
    "print(settings.SECRET_KEY_IS_DEVELOPMENT, settings.SECRET_KEY)"
)


def embedded(var_dir: Path, **extra) -> dict:
    """The environment of a process started on the embedded default, keeping var/ in `var_dir`."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "oncall.config.settings.local",
        "PLANTAO_VAR_DIR": str(var_dir),
        **extra,
    }


def start(env: dict) -> subprocess.Popen:
    code = f"import django; django.setup(); {PRINT_KEY}"
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_fresh_start_makes_a_private_key_that_every_process_started_with_it_shares(tmp_path):
    var = tmp_path / "var"
    # Web, worker and scheduler start at once under `make run`: all must agree on one key.
    together = [start(embedded(var)) for _ in range(4)]
    outputs = [process.communicate(timeout=60) for process in together]
    assert all(process.returncode == 0 for process in together), outputs
    keys = {out.split()[1] for out, _ in outputs}
    assert {out.split()[0] for out, _ in outputs} == {"True"}
    (key,) = keys
    assert key != OLD_KEY_IN_THE_SOURCE and len(key) >= 50
    kept = var / "secret_key"
    assert kept.read_text().strip() == key
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert sorted(p.name for p in var.iterdir() if "secret_key" in p.name) == ["secret_key"]

    # A later start reads it again; another installation gets its own.
    later, _ = start(embedded(var)).communicate(timeout=60)
    assert later.split()[1] == key
    other, _ = start(embedded(tmp_path / "elsewhere")).communicate(timeout=60)
    assert other.split()[1] != key


def test_a_key_from_the_environment_is_used_and_no_file_is_made(tmp_path):
    out, _ = start(embedded(tmp_path, SECRET_KEY="from-the-environment")).communicate(timeout=60)
    assert out.split() == ["False", "from-the-environment"]
    assert not (tmp_path / "secret_key").exists()


def test_with_debug_off_a_missing_key_refuses_to_start(tmp_path):
    process = start(embedded(tmp_path, DEBUG="off"))
    _, err = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in err
    assert not (tmp_path / "secret_key").exists()


def test_an_empty_key_file_is_refused_with_a_clear_message(tmp_path):
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(ImproperlyConfigured, match="is empty"):
        development_secret_key(tmp_path / "secret_key")
