"""The operator's schemas: cron preview, the dashboard, health probes and the scheduler's status."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from .common import Schema


class CronPreviewSchema(Schema):
    cron_expression = fields.String(required=True, validate=validate.Length(max=200))
    timezone = fields.String(load_default="UTC", validate=validate.Length(max=64))
    count = fields.Integer(strict=True, load_default=5, validate=validate.Range(min=1, max=50))


class CronPreviewResultSchema(ma.Schema):
    valid = fields.Boolean(required=True)
    error = fields.String(metadata={"description": "Why the expression or zone is not valid."})
    expression = fields.String(metadata={"description": "The expression, normalised."})
    timezone = fields.String()
    next_runs = fields.List(fields.String(), metadata={"description": "ISO 8601 in the zone, with offset."})
    next_runs_utc = fields.List(fields.String())


class UpcomingSchema(ma.Schema):
    job_id = fields.Integer()
    name = fields.String()
    next_run_at = fields.DateTime()
    timezone = fields.String(metadata={"description": "The job's time zone, to show next_run_at in."})


class RecentFailureSchema(ma.Schema):
    execution_id = fields.Integer()
    job_id = fields.Integer()
    job_name = fields.String()
    finished_at = fields.DateTime(allow_none=True)
    error = fields.String(allow_none=True)


class HourBucketSchema(ma.Schema):
    hour = fields.DateTime(metadata={"description": "Start of the UTC hour."})
    succeeded = fields.Integer()
    failed = fields.Integer()


class DashboardSchema(ma.Schema):
    jobs_by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    executions_24h = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "By status, for slots in the last 24 h."},
    )
    success_rate_24h = fields.Float(allow_none=True, metadata={"description": "0..1; null with no runs."})
    duration_ms_mean_24h = fields.Float(allow_none=True)
    duration_ms_p95_24h = fields.Float(allow_none=True)
    upcoming = fields.List(fields.Nested(UpcomingSchema))
    recent_failures = fields.List(fields.Nested(RecentFailureSchema))
    runs_by_hour_24h = fields.List(fields.Nested(HourBucketSchema))


class LiveSchema(ma.Schema):
    status = fields.String(metadata={"example": "ok"})


class HealthSchema(LiveSchema):
    database = fields.String(metadata={"example": "ok"})
    queue = fields.String(metadata={"example": "ok"})


class ReadySchema(HealthSchema):
    workers = fields.Integer(
        allow_none=True,
        metadata={"description": "Consumers seen in the last 60 s (null when the database is unreachable)."},
    )


class LatenessSchema(ma.Schema):
    runs = fields.Integer(required=True, metadata={"description": "First attempts started in the last hour."})
    p50_seconds = fields.Float(
        allow_none=True, required=True, metadata={"description": "Median of started_at − scheduled_for."}
    )
    p99_seconds = fields.Float(allow_none=True, required=True)


class OverdueRunSchema(ma.Schema):
    kind = fields.String(
        required=True,
        metadata={
            "enum": ["execution", "job"],
            "description": "execution: due, not picked up by a worker; job: its next run passed unplanned.",
        },
    )
    execution_id = fields.Integer(allow_none=True, required=True)
    job_id = fields.Integer(required=True)
    job_name = fields.String(required=True)
    timezone = fields.String(required=True, metadata={"description": "The job's time zone."})
    due_at = fields.DateTime(required=True)


class JobsHealthSchema(ma.Schema):
    """The signed-in user's own jobs."""

    overdue_count = fields.Integer(required=True)
    overdue = fields.List(
        fields.Nested(OverdueRunSchema),
        required=True,
        metadata={"description": "The oldest overdue runs (at most 20)."},
    )
    running_over_timeout = fields.Integer(required=True)
    lateness = fields.Nested(LatenessSchema, required=True)


class WorkerStateSchema(ma.Schema):
    name = fields.String(required=True)
    last_seen = fields.DateTime(required=True)
    seconds_since = fields.Integer(required=True)
    alive = fields.Boolean(required=True)


class QueueDepthSchema(ma.Schema):
    ready = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "Tasks waiting for a worker (null: queue unreachable)."},
    )
    scheduled = fields.Integer(
        allow_none=True, required=True, metadata={"description": "Tasks waiting for their time."}
    )


class SyncPassSchema(ma.Schema):
    worker = fields.String(required=True)
    started_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(required=True)
    requeued = fields.Integer(required=True, metadata={"description": "Due executions queued again."})
    expired = fields.Integer(
        required=True,
        metadata={"description": "Running executions whose worker stopped responding, failed and retried."},
    )
    details = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "Every count the pass reported, by name."},
    )


class SystemDetailsSchema(ma.Schema):
    """The scheduler itself: for administrators."""

    database = fields.String(required=True, metadata={"example": "ok"})
    queue = fields.String(required=True, metadata={"example": "ok"})
    workers_alive = fields.Integer(required=True, metadata={"description": "Heart-beat in the last 60 s."})
    workers = fields.List(
        fields.Nested(WorkerStateSchema),
        required=True,
        metadata={"description": "Workers seen in the last 24 h, most recent first."},
    )
    queue_depth = fields.Nested(QueueDepthSchema, required=True)
    overdue_count = fields.Integer(
        required=True,
        metadata={"description": "Executions due but unclaimed, and jobs whose next run passed unplanned."},
    )
    running_over_timeout = fields.Integer(required=True)
    lateness = fields.Nested(LatenessSchema, required=True)
    last_sync = fields.Nested(SyncPassSchema, allow_none=True, required=True)


class SystemStatusSchema(ma.Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded", "down"]})
    reasons = fields.List(fields.String(), required=True, metadata={"description": "Why, in words."})
    checked_at = fields.DateTime(required=True)
    late_after_seconds = fields.Integer(
        required=True, metadata={"description": "A run not started this long after its time is late."}
    )
    jobs = fields.Nested(JobsHealthSchema, required=True)
    system = fields.Nested(
        SystemDetailsSchema,
        allow_none=True,
        required=True,
        metadata={"description": "Null for users who may not see the scheduler's own state."},
    )
