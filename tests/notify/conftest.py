"""Fixtures for notifications: a real SMTP server (aiosmtpd) and a real webhook receiver on loopback."""
from __future__ import annotations

import email
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from flask_jwt_extended import create_access_token

from chronos.extensions import db
from chronos.models import Execution, Job, User

PASSWORD = "s3cr3t-Sm7p-pa55word"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (aiosmtpd cannot take port 0: TOOLCHAIN.md gotcha 20)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy; its value, or AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout:.1f} s")
        time.sleep(interval)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class SMTPSink:
    """A real SMTP server on 127.0.0.1 that keeps what it receives; start/stop at will."""

    def __init__(self, port: int | None = None, require_auth: bool = False) -> None:
        self.port = port or free_port()
        self.require_auth = require_auth
        self.received: list[Received] = []
        self.auth_attempts: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=policy.default)
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        login = data.login.decode() if isinstance(data.login, bytes) else str(data.login)
        password = data.password.decode() if isinstance(data.password, bytes) else str(data.password)
        self.auth_attempts.append((login, password))
        return AuthResult(success=(login == "chronos" and password == PASSWORD), handled=False)

    def start(self) -> SMTPSink:
        kwargs: dict[str, Any] = {}
        if self.require_auth:
            kwargs = {"authenticator": self._authenticate, "auth_require_tls": False, "auth_required": True}
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages_to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.received if address in r.rcpt_tos]


@pytest.fixture
def smtp_sink():
    sink = SMTPSink().start()
    yield sink
    sink.stop()


@dataclass
class Hook:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server recording requests; `status` is what it answers."""

    host: str
    port: int = 0
    status: int = 200
    requests: list[Hook] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append(Hook(self.path, dict(self.headers), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver("127.0.0.1").start()
    yield r
    r.stop()


@pytest.fixture
def notify_config(app, smtp_sink, monkeypatch):
    """Notifications pointed at the test SMTP server, short backoffs, loopback allow-listed."""
    settings = {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_sink.port, "SMTP_USERNAME": None, "SMTP_PASSWORD": None,
        "SMTP_FROM": "chronos@chronos.test", "SMTP_STARTTLS": False, "SMTP_SSL": False,
        "SMTP_TIMEOUT_SECONDS": 5, "MAIL_CONSOLE": False, "NOTIFY_THROTTLE_SECONDS": 600,
        "NOTIFY_RETRY_BACKOFF_SECONDS": [1, 2], "PUBLIC_BASE_URL": "http://127.0.0.1:8000/",
        "HTTP_ALLOWLIST": ["127.0.0.1"],
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    return app.config


def make_user(email_address: str) -> User:
    # Tests mint tokens directly, so no one logs in: skip the (deliberately slow) scrypt hash.
    user = User(email=email_address, password_hash="unusable")
    db.session.add(user)
    db.session.commit()
    return user


def token_headers(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_access_token(identity=str(user.id))}"}


def make_job(owner: User, **overrides: Any) -> Job:
    values: dict[str, Any] = {
        "owner_id": owner.id, "name": "Weekly Newsletter", "description": "Send newsletter every Monday",
        "job_type": "recurring", "schedule_type": "cron", "cron_expression": "0 9 * * 1",
        "timezone": "America/New_York", "handler": "http",
        "target": {"url": "http://127.0.0.1:9/newsletter", "method": "POST"},
        "payload": {"template": "weekly_digest"}, "max_retries": 1, "retry_backoff_seconds": [1],
    }
    values.update(overrides)
    job = Job(**values)
    db.session.add(job)
    db.session.commit()
    return job


_slot = [0]


def make_execution(job: Job, **overrides: Any) -> Execution:
    """A finished execution (failed by default), each in its own slot (a few seconds apart)."""
    _slot[0] += 1
    scheduled = datetime(2026, 12, 7, 14, 0, tzinfo=UTC) + timedelta(seconds=_slot[0])
    values: dict[str, Any] = {
        "job_id": job.id, "owner_id": job.owner_id, "job_version": job.version, "scheduled_for": scheduled,
        "trigger": "schedule", "status": "failed", "attempt": 2, "started_at": scheduled,
        "finished_at": scheduled + timedelta(seconds=62), "error": "HTTP 500 Internal Server Error",
        "result": {"http_status": 500, "url": "http://127.0.0.1:9/newsletter"},
    }
    values.update(overrides)
    execution = Execution(**values)
    db.session.add(execution)
    db.session.commit()
    return execution


@pytest.fixture
def owner(app):
    return make_user("alice@example.com")
