"""Fixtures for notifications: a real SMTP server (aiosmtpd); the webhook receiver is in tests/conftest.py."""

from __future__ import annotations

import email
import ssl
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.factories import make_user
from tests.live import free_port

PASSWORD = "s3cr3t-Sm7p-pa55word"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class SMTPSink:
    """A real SMTP server on 127.0.0.1 that keeps what it receives; start/stop at will."""

    def __init__(
        self,
        port: int | None = None,
        require_auth: bool = False,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
    ) -> None:
        self.port = port or free_port()
        self.require_auth = require_auth
        # STARTTLS offered (and required before anything else), or TLS from the first byte.
        self.starttls = starttls
        self.implicit_tls = implicit_tls
        self.tls_sessions: list[bool] = []
        self.received: list[Received] = []
        self.auth_attempts: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
            self.tls_sessions.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 Message accepted for delivery"

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        login = data.login.decode() if isinstance(data.login, bytes) else str(data.login)
        password = data.password.decode() if isinstance(data.password, bytes) else str(data.password)
        self.auth_attempts.append((login, password))
        return AuthResult(success=(login == "chronos" and password == PASSWORD), handled=False)

    def start(self) -> SMTPSink:
        kwargs: dict[str, Any] = {}
        if self.require_auth:
            # With STARTTLS the server refuses AUTH before encryption, as a real relay does.
            kwargs = {
                "authenticator": self._authenticate,
                "auth_require_tls": self.starttls is not None,
                "auth_required": True,
            }
        if self.starttls is not None:
            kwargs.update(tls_context=self.starttls, require_starttls=True)
        if self.implicit_tls is not None:
            kwargs["ssl_context"] = self.implicit_tls
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


@pytest.fixture
def notify_config(app, smtp_sink, monkeypatch):
    """Notifications pointed at the test SMTP server, short backoffs, loopback allow-listed."""
    settings = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_sink.port,
        "SMTP_USERNAME": None,
        "SMTP_PASSWORD": None,
        "SMTP_FROM": "chronos@chronos.test",
        "SMTP_STARTTLS": False,
        "SMTP_SSL": False,
        "SMTP_TIMEOUT_SECONDS": 5,
        "MAIL_CONSOLE": False,
        "NOTIFY_THROTTLE_SECONDS": 600,
        "NOTIFY_RETRY_BACKOFF_SECONDS": [1, 2],
        "PUBLIC_BASE_URL": "http://127.0.0.1:8000/",
        "HTTP_ALLOWLIST": ["127.0.0.1"],
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    return app.config


@pytest.fixture
def owner(app):
    return make_user("alice@example.com")
