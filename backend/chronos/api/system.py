"""The scheduler's own health, for the health page and the banner: is anything running, is it behind.

Every signed-in user sees the figures about their own jobs (overdue runs, lateness, runs past their
timeout); the scheduler's machinery (workers, queue, safety sync, database and Redis) is for those
`may_see_system_details` admits. The figures and the verdict come from `chronos.health`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from .. import access, health
from ..schemas.ops import SystemStatusSchema
from .auth import protected

blp = Blueprint(
    "system", __name__, description="The scheduler's health: workers, queue, lateness, overdue runs."
)


def may_see_system_details() -> bool:
    """Whether the signed-in user may see the scheduler's machinery (workers, queue, sync, backends).

    Admins and owners of the workspace the request acts in; the one place that says so.
    """
    return access.principal().at_least("admin")


@blp.route("/system/status", methods=["GET"])
@protected(blp)
@blp.response(200, SystemStatusSchema)
def status() -> dict[str, Any]:
    """Is the scheduler keeping time? Your jobs' overdue runs, lateness and runs past their timeout;
    for administrators also the workers, the queue, the last safety sync, the database and Redis."""
    grace = timedelta(seconds=current_app.config["RECOVERY_GRACE_SECONDS"])
    return health.status(access.principal().workspace_id, grace, may_see_system_details())
