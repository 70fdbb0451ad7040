"""The rehearsal driver against a small HTTP sink: every request sent, at its instant, on kept
connections, and a 429 honoured (incidents/rehearse/driver.py)."""

import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from incidents.rehearse.driver import Request, drive
from incidents.rehearse.progress import Progress


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the Plantão web server speaks it
    answers: list[tuple[int, dict]] = []
    seen: list[tuple[float, int, bytes]] = []  # (monotonic time, client port, body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((time.monotonic(), self.client_address[1], body))
        status, headers = self.answers.pop(0) if self.answers else (202, {})
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sink():
    Sink.answers, Sink.seen = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Sink
    server.shutdown()
    server.server_close()


def requests(count, every):
    return [Request(at=i * every, body=b'{"n": %d}' % i, alerts=1, index=i) for i in range(count)]


def test_every_request_goes_once_at_its_instant_over_kept_connections(sink):
    url, handler = sink
    done = drive(url=url, path="/in/", requests=requests(60, 0.01), concurrency=3)
    assert sorted(body for _, _, body in handler.seen) == sorted(
        b'{"n": %d}' % i for i in range(60)
    )
    assert len({port for _, port, _ in handler.seen}) <= 3  # kept alive, not one a request
    assert done.alerts_accepted == 60 and done.errors() == {}
    assert sorted(o.index for o in done.outcomes) == list(range(60))
    # None goes before its instant (how late one goes depends on the machine's load: the
    # report's lateness figure says it, no test bounds it).
    assert min(o.sent - o.due for o in done.outcomes) >= -0.001
    # Spread over the plan's 0.6 s, not all at once.
    times = sorted(at for at, _, _ in handler.seen)
    assert times[-1] - times[0] >= 0.5


def test_a_429_is_counted_and_nothing_is_sent_until_its_retry_after(sink):
    url, handler = sink
    handler.answers = [(429, {"Retry-After": "1"})]
    done = drive(url=url, path="/in/", requests=requests(5, 0.01), concurrency=1)
    assert done.errors() == {"throttled": 1}
    assert done.alerts_accepted == 4
    assert len(handler.seen) == 5  # refused alerts are counted, not sent again
    times = [at for at, _, _ in handler.seen]
    assert times[1] - times[0] >= 0.9


def test_an_unreachable_server_is_an_error_class_not_a_crash():
    done = drive(url="http://127.0.0.1:9", path="/in/", requests=requests(2, 0), concurrency=1)
    assert done.errors() == {"connection": 2}
    assert done.alerts_accepted == 0


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_a_bar_redrawn_on_a_terminal_and_a_line_a_tenth_in_a_log():
    log, terminal = io.StringIO(), Terminal()
    for stream in (log, terminal):
        progress = Progress("sending alerts", stream=stream)
        for done in range(1001):
            progress(done, 1000)
        progress.close()
    assert log.getvalue().splitlines()[-1] == "sending alerts: 1000/1000 (100%)"
    assert len(log.getvalue().splitlines()) == 11
    assert "\r" not in log.getvalue()
    drawn = terminal.getvalue()
    assert drawn.count("\n") == 1 and drawn.endswith("] 1000/1000\n")
    assert "[" + "#" * 30 + "]" in drawn
