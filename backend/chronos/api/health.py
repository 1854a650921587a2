"""Health: liveness, readiness (database, queue, workers) and the combined check. No auth, no limits."""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from ..extensions import limiter
from ..health import check_database, check_queue, count_workers
from ..schemas.ops import HealthSchema, LiveSchema, ReadySchema

blp = Blueprint("health", __name__, description="Liveness and readiness probes (no sign-in).")
# Probes run every few seconds from load balancers and orchestrators; they must never be throttled.
limiter.exempt(blp)


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
