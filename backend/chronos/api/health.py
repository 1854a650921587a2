"""Health: liveness, readiness (database, queue, workers) and the combined check. No auth, no limits."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from sqlalchemy import func, select, text

from ..extensions import db, huey, limiter
from ..models import WorkerHeartbeat, db_now
from ..schemas import HealthSchema, LiveSchema, ReadySchema

log = logging.getLogger(__name__)
blp = Blueprint("health", __name__, description="Liveness and readiness probes (no sign-in).")
# Probes run every few seconds from load balancers and orchestrators; they must never be throttled.
limiter.exempt(blp)

WORKER_WINDOW = timedelta(seconds=60)


def _error(exc: Exception) -> str:
    # The first line only: enough to diagnose, without dumping connection strings or tracebacks.
    text_ = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"error: {type(exc).__name__}" + (f": {text_[:200]}" if text_ else "")


def check_database() -> str:
    """'ok' when `SELECT 1` answers, else 'error: ...'."""
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # noqa: BLE001 — any failure to reach the database is the answer
        db.session.rollback()
        log.warning("Health: database unreachable: %s", exc)
        return _error(exc)


def check_queue() -> str:
    """'ok' when the queue storage (Redis or the SQLite file) answers, else 'error: ...'."""
    try:
        huey.pending_count()
        return "ok"
    except Exception as exc:  # noqa: BLE001 — same: report, do not raise
        log.warning("Health: queue unreachable: %s", exc)
        return _error(exc)


def count_workers() -> int | None:
    """Consumers that sent a heartbeat in the last minute (None if the database cannot say)."""
    try:
        since = db_now() - WORKER_WINDOW
        return db.session.scalar(select(func.count()).select_from(WorkerHeartbeat)
                                 .where(WorkerHeartbeat.last_seen >= since)) or 0
    except Exception:  # noqa: BLE001 — reported as unknown; check_database says why
        db.session.rollback()
        return None


@blp.route("/health", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.alt_response(503, description="The database is unreachable.")
def health() -> tuple[dict[str, Any], int]:
    """200 with the database's and the queue's state; 503 when the database is unreachable."""
    database, queue = check_database(), check_queue()
    ok = database == "ok"
    body = {"status": "ok" if ok else "error", "database": database, "queue": queue}
    return body, 200 if ok else 503


@blp.route("/health/live", methods=["GET"])
@blp.response(200, LiveSchema)
def live() -> dict[str, str]:
    """200 whenever the process serves requests."""
    return {"status": "ok"}


@blp.route("/health/ready", methods=["GET"])
@blp.response(200, ReadySchema)
@blp.alt_response(503, description="Not ready: database or queue unreachable (or no worker, "
                                    "when READY_REQUIRES_WORKER is set).")
def ready() -> tuple[dict[str, Any], int]:
    """Ready when the database and the queue answer; workers seen in the last 60 s are reported,
    and required only when READY_REQUIRES_WORKER is true."""
    database, queue = check_database(), check_queue()
    workers = count_workers() if database == "ok" else None
    ok = database == "ok" and queue == "ok"
    if current_app.config.get("READY_REQUIRES_WORKER") and not workers:
        ok = False
    body = {"status": "ok" if ok else "error", "database": database, "queue": queue,
            "workers": workers}
    return body, 200 if ok else 503
