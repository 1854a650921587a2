"""Shared column types, clocks and the names of every status and policy."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    TypeDecorator,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# Integer ids that are BIGINT on PostgreSQL but still autoincrement as INTEGER PRIMARY KEY on SQLite.


BigId = BigInteger().with_variant(Integer(), "sqlite")
# The largest id a BIGINT holds: a larger one in a URL names nothing (and must not reach the driver).
MAX_ID = 2**63 - 1

JOB_TYPES = ("one_time", "recurring")
SCHEDULE_TYPES = ("once", "cron", "interval", "after")
JOB_STATUSES = ("active", "paused", "completed")
OVERLAP_POLICIES = ("allow", "forbid", "replace")
MISFIRE_POLICIES = ("run_once", "skip")
TRIGGERS = ("schedule", "manual", "catch_up", "dependency", "rerun", "backfill")
# Runs that are not slots of a schedule: the unique slot key (job, scheduled_for) leaves them out,
# so two of them due at the same instant never collide. (A backfill run is a slot: never doubled.)
UNSLOTTED_TRIGGERS = ("manual", "dependency", "rerun")
SLOT_INDEX_WHERE = "trigger NOT IN ('manual', 'dependency', 'rerun')"
EXECUTION_STATUSES = (
    "pending",
    "waiting",
    "running",
    "retrying",
    "succeeded",
    "failed",
    "skipped",
    "cancelled",
)
# Runs whose lateness says nothing about the scheduler: a backfill runs past slots on purpose.
NOT_TIMED_TRIGGERS = ("backfill",)
# A concurrency key: jobs sharing one share its limit (for example the host they call).
MAX_CONCURRENCY_KEY = 64
DEFAULT_BACKOFF = [60, 300, 900]


def utcnow() -> datetime:
    return datetime.now(UTC)


# How far this host's clock is from the database's, measured at most this often.
CLOCK_CHECK_SECONDS = 10.0
_clock = threading.local()


def db_now() -> datetime:
    """The database's clock: on PostgreSQL it alone decides what is due, whatever a host's clock says.

    Asking the database on every call would cost a round trip per request and per claim; instead
    the offset between this host's clock and the database's is measured (with the database's
    `clock_timestamp()`, its wall clock now) every CLOCK_CHECK_SECONDS and applied to this host's
    clock. The offset of a host whose clock jumps is corrected on the next check.
    """
    if db.engine.dialect.name != "postgresql":
        return utcnow()
    mono = time.monotonic()
    checked = getattr(_clock, "checked", None)
    if checked is None or mono - checked[0] > CLOCK_CHECK_SECONDS or checked[2] is not db.engine:
        before = utcnow()
        value = db.session.execute(select(func.clock_timestamp())).scalar_one().astimezone(UTC)
        after = utcnow()
        # The database read its clock somewhere between `before` and `after`: take the middle.
        checked = (time.monotonic(), value - (before + (after - before) / 2), db.engine)
        _clock.checked = checked
    offset: timedelta = checked[1]
    return utcnow() + offset


def insert_for_dialect(model: Any) -> Any:
    """An INSERT that supports ON CONFLICT on the running database (PostgreSQL or SQLite)."""
    return (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(model)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on PostgreSQL (timestamptz) and SQLite (naive text) alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def personal_workspace_of(column: str) -> Any:
    """A column default: the personal workspace of the user named by `column` of the new row.

    For rows made without a workspace (older callers, tests): they land where the user's own
    rows always were. Everything the API creates names its workspace.
    """

    def default(context: Any) -> Any:
        user_id = context.get_current_parameters().get(column)
        return context.connection.scalar(
            text("SELECT id FROM workspaces WHERE personal_for = :user_id"), {"user_id": user_id}
        )

    return default


def workspace_of_job(context: Any) -> Any:
    """A column default: the workspace of the new row's job."""
    job_id = context.get_current_parameters().get("job_id")
    return context.connection.scalar(
        text("SELECT workspace_id FROM jobs WHERE id = :job_id"), {"job_id": job_id}
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
