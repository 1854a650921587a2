"""Notifications: what was sent to whom about an execution or a job, and whether it was delivered."""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from ..models import Notification
from ..schemas import PageQuerySchema, page_of, page_schema
from .auth import protected
from .executions import owned_execution
from .jobs import owned_job

blp = Blueprint("notifications", __name__, description="Failure and recovery notifications.")


class NotificationSchema(Schema):
    """One notification as the API shows it (no SMTP settings, ever)."""

    id = fields.Integer(dump_only=True)
    execution_id = fields.Integer(dump_only=True)
    job_id = fields.Integer(dump_only=True)
    channel = fields.String(dump_only=True, metadata={"description": "email | webhook"})
    kind = fields.String(dump_only=True, metadata={"description": "failure | recovery"})
    recipient = fields.String(dump_only=True, metadata={"description": "E-mail address or webhook URL."})
    status = fields.String(dump_only=True, metadata={
        "description": "pending (queued, or waiting for a retry after `error`) | sending | sent | "
                       "failed (gave up; see `error`) | suppressed (throttled)"})
    tries = fields.Integer(dump_only=True, metadata={"description": "Send attempts made so far."})
    error = fields.String(dump_only=True, allow_none=True)
    suppressed_count = fields.Integer(dump_only=True, metadata={
        "description": "Failures of the job not notified (throttled) since the previous notice."})
    created_at = fields.DateTime(dump_only=True)
    sent_at = fields.DateTime(dump_only=True, allow_none=True)


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
