"""The data: one module per subject, every table and shared type importable from here.

`base` holds the column types, clocks and status names; `accounts` the people; `jobs` what to run
and when; `calendars` the days a job does not run; `executions` each run, its log lines and notices; `backfills` past slots run on request;
`limits` the concurrency limits per key; `ops` the scheduler's own records; `requests` the requests
remembered by their idempotency key; `workflows` which jobs run after which, and what triggered
each downstream run; `teams` workspaces, memberships, invitations and API keys; `audit` the audit
log and job versions.
A new subject gets its own module here and is re-exported below.
"""

from .accounts import RevokedToken, User
from .audit import AuditEvent, JobVersion
from .backfills import Backfill
from .base import (
    CLOCK_CHECK_SECONDS,
    DEFAULT_BACKOFF,
    EXECUTION_STATUSES,
    JOB_STATUSES,
    JOB_TYPES,
    MAX_CONCURRENCY_KEY,
    MAX_ID,
    MISFIRE_POLICIES,
    NOT_TIMED_TRIGGERS,
    OVERLAP_POLICIES,
    SCHEDULE_TYPES,
    SLOT_INDEX_WHERE,
    TRIGGERS,
    UNSLOTTED_TRIGGERS,
    BigId,
    TimestampMixin,
    UTCDateTime,
    db_now,
    insert_for_dialect,
    utcnow,
)
from .calendars import Calendar
from .executions import Execution, ExecutionLog, Notification
from .jobs import DEFINITION_FIELDS, Job
from .limits import ConcurrencyLimit
from .ops import TEST_RUN_STATUSES, SyncPass, TestRun, WorkerHeartbeat
from .requests import IdempotentRequest
from .teams import ROLES, ApiKey, Invitation, Membership, Workspace, digest
from .workflows import DEPENDENCY_TRIGGER_STATUSES, DependencyTrigger, JobDependency

__all__ = [
    "CLOCK_CHECK_SECONDS",
    "DEFAULT_BACKOFF",
    "DEFINITION_FIELDS",
    "DEPENDENCY_TRIGGER_STATUSES",
    "EXECUTION_STATUSES",
    "JOB_STATUSES",
    "JOB_TYPES",
    "MAX_CONCURRENCY_KEY",
    "MAX_ID",
    "MISFIRE_POLICIES",
    "NOT_TIMED_TRIGGERS",
    "OVERLAP_POLICIES",
    "ROLES",
    "SCHEDULE_TYPES",
    "SLOT_INDEX_WHERE",
    "TEST_RUN_STATUSES",
    "TRIGGERS",
    "UNSLOTTED_TRIGGERS",
    "ApiKey",
    "AuditEvent",
    "Backfill",
    "BigId",
    "Calendar",
    "ConcurrencyLimit",
    "DependencyTrigger",
    "Execution",
    "ExecutionLog",
    "IdempotentRequest",
    "Invitation",
    "Job",
    "JobDependency",
    "JobVersion",
    "Membership",
    "Notification",
    "RevokedToken",
    "SyncPass",
    "TestRun",
    "TimestampMixin",
    "UTCDateTime",
    "User",
    "WorkerHeartbeat",
    "Workspace",
    "db_now",
    "digest",
    "insert_for_dialect",
    "utcnow",
]
