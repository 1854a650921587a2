"""Rate-limit counters shared by every process of an instance, and when Retry-After is sent.

With Redis the counters live there. The embedded default has no Redis, and counting in memory
would give each gunicorn worker its own allowance (a login limit of 10 a minute letting 20
through with two workers); so its counters live in a SQLite file in the data directory, which
every web process of the instance shares. The storage is registered with the `limits` package
under the scheme `chronos+sqlite://` (fixed windows, the strategy Flask-Limiter uses here).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

from flask import Flask, Response
from limits.storage import Storage

SCHEME = "chronos+sqlite"
# Only these answers tell a client when to come back; on any other a Retry-After misleads.
RETRY_AFTER_STATUSES = (429, 503)


class SqliteStorage(Storage):
    """Fixed-window counters in one SQLite table, each update a single atomic statement."""

    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012 - the limits package declares it a list

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = (uri or "").split("://", 1)[1]
        self._local = threading.local()
        self._connection().execute(
            "CREATE TABLE IF NOT EXISTS rate_limits (key TEXT PRIMARY KEY, value INTEGER NOT NULL, "
            "expires_at REAL NOT NULL)"
        )

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread (gunicorn's gthread workers); autocommit, so each statement
        # is its own transaction and the file is never held locked between requests.
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=15, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            self._local.connection = connection
        return connection

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to the key's window, starting a new window if the last one expired."""
        now = time.time()
        row = (
            self._connection()
            .execute(
                "INSERT INTO rate_limits (key, value, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET "
                "value = CASE WHEN rate_limits.expires_at <= ? THEN excluded.value "
                "ELSE rate_limits.value + excluded.value END, "
                "expires_at = CASE WHEN rate_limits.expires_at <= ? THEN excluded.expires_at "
                "ELSE rate_limits.expires_at END "
                "RETURNING value",
                (key, amount, now + expiry, now, now),
            )
            .fetchone()
        )
        return int(row[0])

    def get(self, key: str) -> int:
        """The key's count in its current window (0 once it expired)."""
        row = (
            self._connection()
            .execute("SELECT value FROM rate_limits WHERE key = ? AND expires_at > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        """When the key's window ends (epoch seconds)."""
        row = (
            self._connection().execute("SELECT expires_at FROM rate_limits WHERE key = ?", (key,)).fetchone()
        )
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        """True when the file answers."""
        try:
            self._connection().execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every counter; how many there were."""
        return self._connection().execute("DELETE FROM rate_limits").rowcount

    def clear(self, key: str) -> None:
        """Forget one key's counter."""
        self._connection().execute("DELETE FROM rate_limits WHERE key = ?", (key,))


def init_retry_after(app: Flask) -> None:
    """Keep Retry-After to the answers it belongs to (Flask-Limiter adds it to every limited route)."""

    @app.after_request
    def _only_when_asked_to_wait(response: Response) -> Response:
        if response.status_code not in RETRY_AFTER_STATUSES:
            response.headers.pop("Retry-After", None)
        return response
