"""The data: one module per subject, every table and shared type importable from here.

`base` holds the column types, clocks and status names; `accounts` the people; `jobs` what to run
and when; `calendars` the days a job does not run; `executions` each run, its log lines and
notices; `ops` the scheduler's own records.
A new subject gets its own module here and is re-exported below.
"""

from .accounts import RevokedToken, User
from .base import (
    CLOCK_CHECK_SECONDS,
    DEFAULT_BACKOFF,
    EXECUTION_STATUSES,
    JOB_STATUSES,
    JOB_TYPES,
    MAX_ID,
    MISFIRE_POLICIES,
    OVERLAP_POLICIES,
    SCHEDULE_TYPES,
    TRIGGERS,
    BigId,
    TimestampMixin,
    UTCDateTime,
    db_now,
    insert_for_dialect,
    utcnow,
)
from .calendars import Calendar
from .executions import Execution, ExecutionLog, Notification
from .jobs import Job
from .ops import TEST_RUN_STATUSES, SyncPass, TestRun, WorkerHeartbeat

__all__ = [
    "CLOCK_CHECK_SECONDS",
    "DEFAULT_BACKOFF",
    "EXECUTION_STATUSES",
    "JOB_STATUSES",
    "JOB_TYPES",
    "MAX_ID",
    "MISFIRE_POLICIES",
    "OVERLAP_POLICIES",
    "SCHEDULE_TYPES",
    "TEST_RUN_STATUSES",
    "TRIGGERS",
    "BigId",
    "Calendar",
    "Execution",
    "ExecutionLog",
    "Job",
    "Notification",
    "RevokedToken",
    "SyncPass",
    "TestRun",
    "TimestampMixin",
    "UTCDateTime",
    "User",
    "WorkerHeartbeat",
    "db_now",
    "insert_for_dialect",
    "utcnow",
]
