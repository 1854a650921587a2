"""Notifications: what was sent to whom about an execution or a job, and whether it was delivered."""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select

from ..models import Notification
from ..schemas.common import PageQuerySchema, page_schema
from ..schemas.executions import NotificationSchema
from .auth import protected
from .executions import owned_execution
from .jobs import owned_job
from .pagination import page_of

blp = Blueprint("notifications", __name__, description="Failure and recovery notifications.")


NotificationPageSchema = page_schema(NotificationSchema, "NotificationPage")


@blp.route("/executions/<int:execution_id>/notifications", methods=["GET"])
@protected(blp)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, NotificationPageSchema)
@blp.alt_response(404, response="NOT_FOUND")
def execution_notifications(args: dict[str, Any], execution_id: int) -> dict[str, Any]:
    """An execution's notifications, oldest first (404 for another user's execution)."""
    execution = owned_execution(execution_id)
    return page_of(select(Notification).where(Notification.execution_id == execution.id)
                   .order_by(Notification.id.asc()), args)


@blp.route("/jobs/<int:job_id>/notifications", methods=["GET"])
@protected(blp)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, NotificationPageSchema)
@blp.alt_response(404, response="NOT_FOUND")
def job_notifications(args: dict[str, Any], job_id: int) -> dict[str, Any]:
    """A job's notifications across its executions, newest first (404 for another user's job)."""
    job = owned_job(job_id)
    return page_of(select(Notification).where(Notification.job_id == job.id)
                   .order_by(Notification.id.desc()), args)
