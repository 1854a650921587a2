"""Helpers for tests that talk to live servers: a free port, polling, and a real HTTP receiver.

Shared by tests/ and e2e/. The receiver is a ThreadingHTTPServer on a loopback address that records
every request and every accepted connection; its paths choose the answer (see `Receiver`).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (aiosmtpd cannot take port 0: TOOLCHAIN.md gotcha 20)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_for(
    condition: Callable[[], Any], timeout: float = 15, *, interval: float = 0.1, message: str = ""
) -> Any:
    """Poll until `condition()` is truthy; its value, or an AssertionError after the deadline.

    A condition raising `httpx.TransportError` counts as "not yet": the server is not listening yet.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except httpx.TransportError:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {message or condition}")
        time.sleep(interval)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server that records every request and accepted connection. Paths choose the answer:

    /ok → 200 "ok"; /fail → 503; /status/<code>[?retry_after=<s>] → that status (and a Retry-After);
    /slow/<s> or /slow?seconds=<s> → 200 after a pause (2 s by default); /flaky/<n>/<key> → 500 for
    the first n requests with that key, then 200; /redirect?to=<url>&code=<3xx> → a redirect (302 by
    default); /loop → a redirect to itself; /big → 100 kB; any other path → `status` (200 unless the
    test changes it) with a JSON body. Every answer carries `X-Receiver: yes`.
    """

    server: ThreadingHTTPServer
    host: str
    status: int = 200
    requests: list[Received] = field(default_factory=list)
    connections: int = 0
    # Per first path segment ("slow", "ok"): requests being answered now, and the most ever at once.
    active: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    peak: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def matching(self, prefix: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def wait_for_requests(self, count: int, timeout: float = 20) -> list[Received]:
        wait_for(lambda: len(self.requests) >= count, timeout, message=f"{count} request(s) to the receiver")
        return self.requests

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for a request to `path`."""
        parts = urlsplit(path)
        route = parts.path.strip("/").split("/")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if route[0] == "ok":
            return 200, {}, b"ok"
        if route[0] == "fail":
            return 503, {}, b"fail"
        if route[0] == "status":
            status = int(route[1])
            headers = {"Retry-After": query["retry_after"]} if "retry_after" in query else {}
            return status, headers, f"status {status}".encode()
        if route[0] == "slow":
            time.sleep(float(route[1] if len(route) > 1 else query.get("seconds", "2")))
            return 200, {}, b"ok"
        if route[0] == "flaky":
            with self.lock:
                self.counters[route[2]] += 1
                count = self.counters[route[2]]
            return (500 if count <= int(route[1]) else 200), {}, b"flaky"
        if route[0] == "redirect":
            return int(query.get("code", "302")), {"Location": query["to"]}, b""
        if route[0] == "loop":
            return 302, {"Location": "/loop"}, b""
        if route[0] == "big":
            return 200, {}, b"x" * 100_000
        return self.status, {"Content-Type": "application/json"}, b'{"received": true}'


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _handle(self) -> None:
        receiver = self.server.receiver
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with receiver.lock:
            receiver.requests.append(
                Received(self.command, self.path, dict(self.headers.items()), body, time.time())
            )
            route = urlsplit(self.path).path.strip("/").split("/")[0]
            receiver.active[route] += 1
            receiver.peak[route] = max(receiver.peak[route], receiver.active[route])
        try:
            status, headers, payload = receiver.answer(self.path)
        finally:
            with receiver.lock:
                receiver.active[route] -= 1
        try:
            self.send_response(status)
            for name, value in {**headers, "X-Receiver": "yes"}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the caller timed out and left
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default of 5 drops SYNs when 200 calls arrive at once
    receiver: Receiver

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.receiver.lock:  # counts every accepted TCP connection
            self.receiver.connections += 1
        return True


@contextmanager
def running_receiver(host: str = "127.0.0.1") -> Iterator[Receiver]:
    """A receiver on `host` serving in a thread until the block ends."""
    server = _Server((host, 0), _Handler)
    server.receiver = Receiver(server=server, host=host)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.receiver
    finally:
        server.shutdown()
        server.server_close()
