"""A real HTTP receiver on 127.0.0.1 that records every request (shared by the suites that need one)."""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every request. Paths choose the answer:

    /ok → 200; /fail → 503; /slow/<seconds> → 200 after a pause; /flaky/<n>/<key> → 500 for the
    first n requests with that key, then 200; /status/<code> → that status.
    """

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def matching(self, prefix: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(prefix)]


def _handler_class(receiver: Callable[[], Receiver]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            rec = receiver()
            with rec.lock:
                rec.requests.append(Received(self.path, dict(self.headers.items()), body, time.time()))
            parts = self.path.strip("/").split("/")
            status = 200
            if parts[0] == "fail":
                status = 503
            elif parts[0] == "slow":
                time.sleep(float(parts[1]))
            elif parts[0] == "flaky":
                with rec.lock:
                    rec.counters[parts[2]] += 1
                    count = rec.counters[parts[2]]
                status = 500 if count <= int(parts[1]) else 200
            elif parts[0] == "status":
                status = int(parts[1])
            payload = b'{"ok": true}'
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the caller timed out and left
                pass

        do_GET = do_POST = do_PUT = _answer

    return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A receiver serving in a thread until the block ends."""
    holder: list[Receiver] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(lambda: holder[0]))
    server.daemon_threads = True
    holder.append(Receiver(server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder[0]
    server.shutdown()
    server.server_close()
