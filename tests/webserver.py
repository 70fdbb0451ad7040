"""The web tier as production runs it: the Procfile's `web` command, in a process of its own, on
a free port and a database of the test's."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Generous: a server that answers at all answers within it; one whose workers are held does not.
SOCKET_TIMEOUT = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def procfile_command(name: str) -> str:
    """Return the command line of the Procfile's process `name`."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise LookupError(f"no {name} process in the Procfile")


def server_env(database: Path, **extra: str) -> dict:
    """The environment of `make run` (no settings module, no SECRET_KEY) on `database`, with an
    in-memory broker so that nothing lands in the clone's var/."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SECRET_KEY", "DJANGO_SETTINGS_MODULE", "REDIS_URL", "WEB_CONCURRENCY")
    }
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        DATABASE_URL=f"sqlite:///{database}",
        CELERY_BROKER_URL="memory://",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(env: dict, *args: str) -> str:
    """Run `manage.py args` against the server's database; return what it printed."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class WebServer:
    """The Procfile's web process on a free loopback port; `log` holds everything it printed."""

    def __init__(self, env: dict, log: Path, workers: int = 1):
        self.port = free_port()
        self.log = log
        env = {**env, "PORT": str(self.port), "WEB_CONCURRENCY": str(workers)}
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                ["sh", "-c", "exec " + procfile_command("web")],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its worker processes stop with it
            )
        deadline = time.monotonic() + 60
        while self.request("GET", "/healthz", timeout=2, check=False) is None:
            assert self.process.poll() is None, f"the web server exited:\n{self.output()}"
            assert time.monotonic() < deadline, f"the web server did not start:\n{self.output()}"
            time.sleep(0.2)

    def request(self, method, path, body=None, headers=None, *, timeout=SOCKET_TIMEOUT, check=True):
        """Send one request on a new connection; return (status, body bytes).

        With check=False, return None instead of raising when the server cannot be reached.
        """
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            chunked = body is not None and not isinstance(body, bytes)
            connection.request(method, path, body, headers or {}, encode_chunked=chunked)
            response = connection.getresponse()
            return response.status, response.read()
        except OSError:
            if check:
                raise
            return None
        finally:
            connection.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> str:
        """Stop the server as honcho does (SIGTERM); return everything it printed."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        return self.output()


def token_of(output: str) -> str:
    return re.search(r"(?:Token|Routing key): (\S+)", output).group(1)
