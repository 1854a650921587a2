"""A real HTTP receiver on loopback for the handler tests, and helpers to build calls."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chronos.handlers import Call

SECRET = "job-signing-secret"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A ThreadingHTTPServer that records every request and every accepted connection."""

    server: ThreadingHTTPServer
    host: str
    requests: list[Received] = field(default_factory=list)
    connections: int = 0

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/ok", host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    """Routes: /ok, /status/<n>[?retry_after=..], /slow?seconds=, /redirect?to=&code=, /loop, /big."""

    protocol_version = "HTTP/1.1"
    receiver: Receiver

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.receiver.requests.append(Received(self.command, self.path, dict(self.headers), body))
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        status, headers, payload = 200, {}, b"ok"
        if parts.path.startswith("/status/"):
            status = int(parts.path.rsplit("/", 1)[1])
            payload = f"status {status}".encode()
            if "retry_after" in query:
                headers["Retry-After"] = query["retry_after"]
        elif parts.path == "/slow":
            time.sleep(float(query.get("seconds", "2")))
        elif parts.path == "/redirect":
            status = int(query.get("code", "302"))
            headers["Location"] = query["to"]
            payload = b""
        elif parts.path == "/loop":
            status = 302
            headers["Location"] = "/loop"
            payload = b""
        elif parts.path == "/big":
            payload = b"x" * 100_000
        headers.setdefault("X-Receiver", "yes")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


def _serve(host: str) -> Iterator[Receiver]:
    # A deep accept queue: the default of 5 drops SYNs when 200 calls arrive at once.
    server_cls = type("Server", (ThreadingHTTPServer,), {"daemon_threads": True, "request_queue_size": 1024})
    receiver_box: list[Receiver] = []

    def verify_request(self: Any, request: Any, client_address: Any) -> bool:
        receiver_box[0].connections += 1
        return True

    server_cls.verify_request = verify_request  # counts every accepted TCP connection
    server = server_cls((host, 0), type("H", (_Handler,), {}))
    receiver = Receiver(server=server, host=host)
    receiver_box.append(receiver)
    server.RequestHandlerClass.receiver = receiver  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver on 127.0.0.1."""
    yield from _serve("127.0.0.1")


@pytest.fixture
def second_receiver() -> Iterator[Receiver]:
    """Another receiver on 127.0.0.1 (another origin: another port)."""
    yield from _serve("127.0.0.1")


@pytest.fixture
def other_receiver() -> Iterator[Receiver]:
    """A receiver on 127.0.0.2, which the tests never allow-list."""
    yield from _serve("127.0.0.2")


@pytest.fixture
def make_call() -> Callable[..., Call]:
    """Build a Call for the `http` handler; its log lines are collected in `call.lines`."""

    def make(url: str, **target: Any) -> Call:
        lines: list[tuple[str, str, dict[str, Any] | None]] = []
        options = {k: target.pop(k) for k in ("payload", "timeout_seconds", "attempt") if k in target}
        call = Call(
            execution_id=41, job_id=7, job_name="hook", attempt=options.get("attempt", 1),
            scheduled_for=datetime(2026, 11, 28, 10, 0, tzinfo=UTC), trigger="schedule",
            handler="http", target={"url": url, **target}, payload=options.get("payload", {"n": 1}),
            timeout_seconds=options.get("timeout_seconds", 5.0), signing_secret=SECRET,
            log=lambda level, message, data=None: lines.append((level, message, data)),
        )
        call.lines = lines  # type: ignore[attr-defined]
        return call

    return make
