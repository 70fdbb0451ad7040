"""Take the README's screenshot of the dashboard with headless Chromium (standard library only).

Expects a server already running with the demo loaded:

    .venv/bin/python manage.py runserver 127.0.0.1:8001
    .venv/bin/python bench/screenshot.py [URL] [--width 1280] [--out static/readme/dashboard.png]

It drives Chromium through the DevTools protocol over --remote-debugging-pipe (NUL-terminated
JSON on file descriptors 3 and 4), so it needs no WebSocket client, no cookie jar and no driver:
the browser logs in through the real login form and keeps its own session cookie.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 30.0


class Browser:
    """A headless Chromium and one page in it, spoken to over the DevTools pipe."""

    def __init__(self, executable: str, profile: str):
        to_chrome_read, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_write = os.pipe()

        def wire_pipes():
            # Copy above the low numbers first, so that dup2 onto 3 and 4 cannot clobber them.
            read = fcntl.fcntl(to_chrome_read, fcntl.F_DUPFD, 10)
            write = fcntl.fcntl(from_chrome_write, fcntl.F_DUPFD, 10)
            os.dup2(read, 3)
            os.dup2(write, 4)

        self.process = subprocess.Popen(
            [
                executable,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--force-color-profile=srgb",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=wire_pipes,  # safe here: this script runs no other threads
        )
        os.close(to_chrome_read)
        os.close(from_chrome_write)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict] = []
        self.session = None
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.call("Page.enable")

    def _read_message(self) -> dict:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe.")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, **params) -> dict:
        """Send one DevTools command to the page (or the browser) and return its result."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read_message()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method} failed: {reply['error']}")
                return reply.get("result", {})
            self._events.append(reply)

    def wait_for(self, event: str, timeout: float = TIMEOUT) -> dict:
        """Return the next `event` the page fires, waiting at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while self._events:
                message = self._events.pop(0)
                if message.get("method") == event:
                    return message
            self._events.append(self._read_message())
        raise TimeoutError(f"No {event} within {timeout} s.")

    def navigate(self, url: str) -> None:
        self._events.clear()
        result = self.call("Page.navigate", url=url)
        if result.get("errorText"):
            raise SystemExit(f"Could not open {url}: {result['errorText']}. Is the server running?")
        self.wait_for("Page.loadEventFired")

    def evaluate_and_wait_for_load(self, expression: str) -> None:
        """Run `expression`, which leaves the page (a form submit), and wait for the next one."""
        self._events.clear()
        self.evaluate(expression)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def log_in(browser: Browser, base: str, username: str, password: str) -> None:
    """Log in through the login form, as a person would."""
    browser.navigate(urljoin(base, "/login/?next=/"))
    browser.evaluate_and_wait_for_load(
        "(() => {"
        f"document.getElementById('id_username').value = {json.dumps(username)};"
        f"document.getElementById('id_password').value = {json.dumps(password)};"
        "document.querySelector('form.form').submit(); })()"
    )
    if browser.evaluate("location.pathname") == "/login/":
        raise SystemExit(f"Could not log in to {base} as {username}: is the demo loaded?")


def capture(browser: Browser, *, width: int, height: int, mobile: bool, full_page: bool) -> bytes:
    """Return a PNG of the page at `width` CSS pixels, the whole page tall if `full_page`."""
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=height,
        deviceScaleFactor=1,
        mobile=mobile,
    )
    if full_page:
        content = browser.call("Page.getLayoutMetrics")["cssContentSize"]
        height = max(height, int(content["height"]))
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )
    shot = browser.call(
        "Page.captureScreenshot",
        format="png",
        clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        captureBeyondViewport=True,
    )
    return base64.b64decode(shot["data"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8001")
    parser.add_argument("--path", default="/", help="page to capture (default: the dashboard)")
    parser.add_argument("--out", default=str(ROOT / "static" / "readme" / "dashboard.png"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--mobile", action="store_true", help="emulate a phone (touch, viewport)")
    parser.add_argument("--full-page", action="store_true", help="capture the whole page height")
    parser.add_argument("--anonymous", action="store_true", help="do not log in first")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="plantao-demo")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="plantao-shot-") as profile:
        browser = Browser(args.chromium, profile)
        try:
            # Set the size before the first page loads, so the layout never reflows afterwards.
            browser.call(
                "Emulation.setDeviceMetricsOverride",
                width=args.width,
                height=args.height,
                deviceScaleFactor=1,
                mobile=args.mobile,
            )
            if not args.anonymous:
                log_in(browser, args.url, args.username, args.password)
            browser.navigate(urljoin(args.url, args.path))
            png = capture(
                browser,
                width=args.width,
                height=args.height,
                mobile=args.mobile,
                full_page=args.full_page,
            )
        finally:
            browser.close()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(png)
    print(f"{out} ({len(png) // 1024} KiB, {args.width} px wide)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
