"""The operator's schemas: cron preview, the dashboard, health probes and the scheduler's status."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ..models import MAX_ID
from ..scheduling.cron import FOLD_POLICIES, GAP_POLICIES, MAX_JITTER_SECONDS
from .calendars import exclude_calendars_field, on_excluded_field
from .common import Schema


class DstPolicySchema(Schema):
    fold = fields.String(
        load_default="first",
        validate=validate.OneOf(FOLD_POLICIES),
        metadata={
            "description": "A wall time that happens twice (clocks go back): fire at its first occurrence, "
            "its last, or both. Expressions whose hour runs all day fire at every real instant."
        },
    )
    gap = fields.String(
        load_default="shift",
        validate=validate.OneOf(GAP_POLICIES),
        metadata={
            "description": "A wall time that does not exist (clocks go forward): fire at the first instant "
            "after the gap, or skip the slot (reported with reason dst_gap)."
        },
    )


class CronPreviewSchema(Schema):
    cron_expression = fields.String(required=True, validate=validate.Length(max=200))
    timezone = fields.String(load_default="UTC", validate=validate.Length(max=64))
    count = fields.Integer(
        strict=True,
        load_default=5,
        validate=validate.Range(min=1, max=50),
        metadata={"description": "How many runs that fire to show."},
    )
    dst_policy = fields.Nested(DstPolicySchema, load_default=lambda: {"fold": "first", "gap": "shift"})
    jitter_seconds = fields.Integer(
        strict=True,
        load_default=0,
        validate=validate.Range(min=0, max=MAX_JITTER_SECONDS),
        metadata={
            "description": "Delay each run by a fixed offset in 0..jitter_seconds drawn from the job and the "
            "slot, never as far as the next slot."
        },
    )
    job_id = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={
            "description": "The job whose jitter to show (it seeds the offsets); nothing about the job is read."
        },
    )
    exclude_calendars = exclude_calendars_field("Ids of your calendars (signed in): their days are excluded.")
    on_excluded = on_excluded_field("On an excluded day: skip the run, or move it to the next business day.")


class CronRunSchema(ma.Schema):
    at = fields.String(
        required=True,
        metadata={
            "description": "When it fires (jitter applied), ISO 8601 in the zone; for a skipped run, its slot."
        },
    )
    at_utc = fields.String(required=True)
    dst = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "enum": ["fold", "gap", None],
            "description": "fold: its wall time happens twice that night; gap: it does not exist that night.",
        },
    )
    offset_before = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": 'The UTC offset before the transition ("+01:00"); null without one.'},
    )
    offset_after = fields.String(required=True, allow_none=True)
    skipped = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Why it does not fire: dst_gap, or 'calendar: <name>'; null when it fires."},
    )
    note = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "What a transition or calendar does to this run, in words."},
    )


class CronPreviewResultSchema(ma.Schema):
    valid = fields.Boolean(required=True)
    error = fields.String(metadata={"description": "Why the expression or zone is not valid."})
    expression = fields.String(metadata={"description": "The expression, normalised."})
    timezone = fields.String()
    next_runs = fields.List(
        fields.String(),
        metadata={"description": "The runs that fire (jitter applied), ISO 8601 in the zone, with offset."},
    )
    next_runs_utc = fields.List(fields.String())
    runs = fields.List(
        fields.Nested(CronRunSchema),
        metadata={
            "description": "Every run up to the last of next_runs, skipped ones too, with DST markers."
        },
    )


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


_FROM = {"enum": ["workspace", "instance"], "description": "Set by the workspace, or the instance default."}


class RetentionSchema(ma.Schema):
    """The policy in force for the workspace's jobs without their own keep_days."""

    days = fields.Integer(allow_none=True, metadata={"description": "Finished runs kept; null: forever."})
    failed_days = fields.Integer(
        allow_none=True, metadata={"description": "Failures kept at least; null: forever."}
    )
    days_from = fields.String(metadata=_FROM)
    failed_days_from = fields.String(metadata=_FROM)
    jobs_with_own_policy = fields.Integer(metadata={"description": "Jobs with keep_days or keep_last."})


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
    retention = fields.Nested(RetentionSchema, metadata={"description": "How long history is kept."})


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
