"""Executions, their attempts, notifications and log lines, as the API shows them; history filters."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ..masking import mask_url_text
from ..models import EXECUTION_STATUSES, MAX_ID, TRIGGERS
from .common import PageQuerySchema, page_schema


class ExecutionSchema(ma.Schema):
    id = fields.Integer()
    job_id = fields.Integer()
    job_name = fields.String(attribute="job.name")
    job_timezone = fields.String(
        attribute="job.timezone", metadata={"description": "The job's time zone, to show times in."}
    )
    status = fields.String(metadata={"enum": list(EXECUTION_STATUSES)})
    trigger = fields.String(metadata={"enum": list(TRIGGERS)})
    job_version = fields.Integer(
        metadata={"description": "The job's definition version it ran under (GET /jobs/{id}/versions/{n})."}
    )
    scheduled_for = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    attempt = fields.Integer(metadata={"description": "Attempts started so far."})
    next_attempt_at = fields.DateTime(allow_none=True)
    result = fields.Raw(allow_none=True)
    error = fields.String(allow_none=True)
    reason = fields.String(
        allow_none=True,
        metadata={
            "description": "Why it was skipped or cancelled, or what it waits (or waited) for: 'backfill', "
            "'concurrency_key:<key>'."
        },
    )
    backfill_id = fields.Integer(allow_none=True, metadata={"description": "The backfill that created it."})
    missed_count = fields.Integer(allow_none=True)
    upstream_execution_ids = fields.List(
        fields.Integer(), allow_none=True, metadata={"description": "The upstream runs that caused it."}
    )
    rerun_of = fields.Integer(allow_none=True, metadata={"description": "The execution it runs again."})
    created_at = fields.DateTime()


class NotificationSchema(ma.Schema):
    """One notification as the API shows it (no SMTP settings, ever)."""

    id = fields.Integer(dump_only=True)
    execution_id = fields.Integer(dump_only=True)
    job_id = fields.Integer(dump_only=True)
    channel = fields.String(dump_only=True, metadata={"description": "email | webhook"})
    kind = fields.String(dump_only=True, metadata={"description": "failure | recovery"})
    recipient = fields.Function(
        lambda n: mask_url_text(n.recipient) if n.channel == "webhook" else n.recipient,
        dump_only=True,
        metadata={"type": "string", "description": "E-mail address or webhook URL (credentials masked)."},
    )
    status = fields.String(
        dump_only=True,
        metadata={
            "description": "pending (queued, or waiting for a retry after `error`) | sending | sent | "
            "failed (gave up; see `error`) | suppressed (throttled)"
        },
    )
    tries = fields.Integer(dump_only=True, metadata={"description": "Send attempts made so far."})
    error = fields.String(dump_only=True, allow_none=True)
    suppressed_count = fields.Integer(
        dump_only=True,
        metadata={"description": "Failures of the job not notified (throttled) since the previous notice."},
    )
    created_at = fields.DateTime(dump_only=True)
    sent_at = fields.DateTime(dump_only=True, allow_none=True)


class ExecutionDetailSchema(ExecutionSchema):
    payload = fields.Raw(
        allow_none=True,
        metadata={
            "description": "This run's own payload (a Run now override, a dependency run's "
            "upstream runs); null: the job's."
        },
    )
    downstream_execution_ids = fields.List(
        fields.Integer(), metadata={"description": "The runs it caused (of jobs that run after its job)."}
    )
    attempts = fields.List(fields.Dict(), metadata={"description": "Each attempt's outcome."})
    notifications = fields.List(
        fields.Nested(NotificationSchema), metadata={"description": "Failure/recovery notices sent about it."}
    )


class ExecutionQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(EXECUTION_STATUSES))
    include = fields.String(
        validate=validate.OneOf(("planned",)),
        metadata={
            "description": "History shows what happened; 'planned' adds the slots planned ahead (pending, "
            "not yet due)."
        },
    )


class ExecutionListQuerySchema(ExecutionQuerySchema):
    job_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class ExecutionLogSchema(ma.Schema):
    id = fields.Integer()
    timestamp = fields.DateTime()
    level = fields.String()
    message = fields.String()
    attempt = fields.Integer()
    data = fields.Raw(allow_none=True)


class LogQuerySchema(PageQuerySchema):
    attempt = fields.Integer(
        validate=validate.Range(min=0, max=1000), metadata={"description": "Only this attempt's lines."}
    )


ExecutionPageSchema = page_schema(ExecutionSchema, "ExecutionPageSchema")
ExecutionLogPageSchema = page_schema(ExecutionLogSchema, "ExecutionLogPageSchema")
