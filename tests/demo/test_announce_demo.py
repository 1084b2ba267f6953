"""scripts/announce_demo.py: `make serve` prints the address and the demo logins once,
when the site answers, and says so plainly when it never does."""

import importlib.util
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "announce_demo.py"
_spec = importlib.util.spec_from_file_location("announce_demo", SCRIPT)
announce_demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(announce_demo)

LOGINS = "Demo logins (new passwords for this run):\nstaff  cider-eagle-walnut-8214\n"


class FakeMuster(BaseHTTPRequestHandler):
    status = 200
    hits: list[str]

    def do_GET(self):
        self.hits.append(self.path)
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        """Quiet: the tests read ``hits``, not the server's log."""


@pytest.fixture
def fake_site():
    """A server that answers every path with ``FakeMuster.status``; yields (url, handler)."""
    handler = type("Handler", (FakeMuster,), {"hits": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", handler
    server.shutdown()
    server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_prints_the_address_and_logins_once_the_site_answers(fake_site, tmp_path, capsys):
    url, handler = fake_site
    logins = tmp_path / "demo-logins.txt"
    logins.write_text(LOGINS)
    assert announce_demo.main(["--url", url, "--logins", str(logins), "--timeout", "5"]) == 0
    out = capsys.readouterr().out
    assert out.count(f"Muster is running on {url}") == 1
    assert out.count("cider-eagle-walnut-8214") == 1
    assert out.index("Muster is running") < out.index("Demo logins")
    assert handler.hits == ["/healthz"]  # one probe, of the health check


def test_waits_for_a_server_that_starts_late(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/healthz"
    assert not announce_demo.answers(url)
    handler = type("Handler", (FakeMuster,), {"hits": []})
    servers = []

    def start_later():
        time.sleep(0.6)
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        servers.append(server)
        server.serve_forever()

    threading.Thread(target=start_later, daemon=True).start()
    try:
        started = time.monotonic()
        assert announce_demo.wait_until_answers(url, timeout=10, interval=0.1)
        assert time.monotonic() - started >= 0.5
        assert handler.hits == ["/healthz"]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def test_a_server_error_is_not_an_answer(fake_site):
    url, handler = fake_site
    handler.status = 500
    assert not announce_demo.answers(url + "healthz")
    handler.status = 404  # answered, if not by the health check: the site is up
    assert announce_demo.answers(url + "healthz")
    assert handler.hits == ["/healthz", "/healthz"]


def test_gives_up_after_the_timeout_and_says_so(tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}/"
    started = time.monotonic()
    code = announce_demo.main(["--url", url, "--logins", str(tmp_path / "x"), "--timeout", "0.5"])
    assert code == 1
    assert time.monotonic() - started < 5
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"did not answer at {url}" in captured.err


def test_without_a_logins_file_it_says_how_to_make_one(fake_site, tmp_path, capsys):
    url, _ = fake_site
    assert announce_demo.main(["--url", url, "--logins", str(tmp_path / "none.txt")]) == 0
    assert "`make demo` creates them" in capsys.readouterr().out
