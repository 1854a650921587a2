"""The audit log of a workspace: who did what, when, from where (read only: no route edits it)."""

from __future__ import annotations

import re
from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import func, select

from .. import access
from ..models import AuditEvent
from ..schemas.teams import AuditEventPageSchema, AuditQuerySchema
from .auth import protected
from .pagination import page_of

blp = Blueprint("audit", __name__, description="The audit log (admins).")

_ACTOR_ID = re.compile(r"^(user|api_key):(\d{1,18})$")


@blp.route("/workspaces/<int:workspace_id>/audit", methods=["GET"])
@protected(blp)
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditEventPageSchema)
@blp.alt_response(404, response="NOT_FOUND")
def list_events(args: dict[str, Any], workspace_id: int) -> dict[str, Any]:
    """The workspace's audit events, newest first; filter by `action`, `actor`, `job_id`, `since`,
    `until`."""
    statement = select(AuditEvent).where(AuditEvent.workspace_id == access.principal().workspace_id)
    if args.get("action"):
        statement = statement.where(AuditEvent.action == args["action"])
    if args.get("actor"):
        exact = _ACTOR_ID.match(args["actor"])
        if exact:
            statement = statement.where(
                AuditEvent.actor_type == exact.group(1), AuditEvent.actor_id == int(exact.group(2))
            )
        else:
            needle = args["actor"].lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            statement = statement.where(func.lower(AuditEvent.actor_label).like(f"%{needle}%", escape="\\"))
    if args.get("job_id"):
        statement = statement.where(AuditEvent.job_id == args["job_id"])
    if args.get("since"):
        statement = statement.where(AuditEvent.at >= args["since"])
    if args.get("until"):
        statement = statement.where(AuditEvent.at <= args["until"])
    return page_of(statement.order_by(AuditEvent.id.desc()), args)
