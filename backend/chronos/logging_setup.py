"""Process logging: JSON lines in production, readable lines in development, with request ids.

(Not to be confused with an execution's log lines, which are rows: `models.ExecutionLog`.)
"""
from __future__ import annotations

import json
import logging
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, request

# Set per request; every log record made while serving it carries it. (A record about an
# execution carries its id as `extra=`, from the executor.)
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, ids and any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and value is not None and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [f"{k}={getattr(record, k)}" for k in ("request_id", "execution_id") if getattr(record, k, None)]
        return f"{line} [{' '.join(ids)}]" if ids else line


def configure_logging(log_format: str = "text", level: str = "INFO") -> None:
    """Install one handler on the root logger (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_chronos", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._chronos = True  # type: ignore[attr-defined]
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())


def init_request_ids(app: Flask) -> None:
    """Take X-Request-Id from the caller (or make one), log with it, and echo it in the response."""

    @app.before_request
    def _assign() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        value = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        g.request_id = value
        request_id.set(value)

    @app.after_request
    def _echo(response: Any) -> Any:
        if "request_id" in g:
            response.headers["X-Request-Id"] = g.request_id
        return response
