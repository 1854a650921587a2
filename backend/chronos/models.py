"""The data: users, jobs, executions, their logs, notifications, and what supports them."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import Model, db

# Integer ids that are BIGINT on PostgreSQL but still autoincrement as INTEGER PRIMARY KEY on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# The largest id a BIGINT holds: a larger one in a URL names nothing (and must not reach the driver).
MAX_ID = 2**63 - 1

JOB_TYPES = ("one_time", "recurring")
SCHEDULE_TYPES = ("once", "cron", "interval")
JOB_STATUSES = ("active", "paused", "completed")
OVERLAP_POLICIES = ("allow", "forbid", "replace")
MISFIRE_POLICIES = ("run_once", "skip")
TRIGGERS = ("schedule", "manual", "catch_up")
EXECUTION_STATUSES = ("pending", "running", "retrying", "succeeded", "failed", "skipped", "cancelled")
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


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class User(TimestampMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Stored lower-cased, so the unique index makes e-mail addresses unique case-insensitively.
    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)

    jobs: Mapped[list[Job]] = relationship(
        back_populates="owner", cascade="all, delete-orphan", passive_deletes=True
    )

    @staticmethod
    def normalize_email(email: str) -> str:
        return email.strip().lower()

    def set_password(self, password: str) -> None:
        # scrypt: memory-hard, and werkzeug's default method.
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class RevokedToken(Model):
    """A revoked access or refresh token; kept in the database so a Redis restart cannot revive it."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_type: Mapped[str] = mapped_column(String(16), nullable=False)
    user_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    @classmethod
    def purge_expired(cls, now: datetime) -> None:
        """Forget revocations of tokens that have expired anyway (they fail verification on their own)."""
        db.session.execute(delete(cls).where(cls.expires_at < now))


class Job(TimestampMixin, Model):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_due", "status", "next_run_at"),
        Index("ix_jobs_owner_created", "owner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)

    # When
    job_type: Mapped[str] = mapped_column(String(16), nullable=False)
    schedule_type: Mapped[str] = mapped_column(String(16), nullable=False)
    cron_expression: Mapped[str | None] = mapped_column(String(200))
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", nullable=False)

    # What
    handler: Mapped[str] = mapped_column(String(64), default="log", nullable=False)
    target: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    payload: Mapped[Any] = mapped_column(JSON, nullable=True)
    signing_secret: Mapped[str] = mapped_column(
        String(128), default=lambda: secrets.token_urlsafe(32), nullable=False
    )

    # How
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=30, nullable=False)
    max_retries: Mapped[int] = mapped_column(Integer, default=3, nullable=False)
    retry_backoff_seconds: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_BACKOFF), nullable=False
    )
    retry_on_client_error: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    overlap_policy: Mapped[str] = mapped_column(String(16), default="allow", nullable=False)
    misfire_policy: Mapped[str] = mapped_column(String(16), default="run_once", nullable=False)

    # Who hears about it
    notify_on_failure: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    notify_on_recovery: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    notify_emails: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    notify_webhook_url: Mapped[str | None] = mapped_column(String(2048))

    # State
    status: Mapped[str] = mapped_column(String(16), default="active", nullable=False)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The slot the planner has planned up to (inclusive); planning resumes after it.
    planned_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[str | None] = mapped_column(String(16))
    # Bumped on every schedule-relevant edit: a firing planned under an older version is not run.
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    owner: Mapped[User] = relationship(back_populates="jobs")
    executions: Mapped[list[Execution]] = relationship(
        back_populates="job", cascade="all, delete-orphan", passive_deletes=True
    )

    @classmethod
    def owned(cls, job_id: int, user_id: int) -> Job | None:
        """The job if it belongs to the user; None for a missing job and for another user's."""
        if not 0 < job_id <= MAX_ID:
            return None
        return db.session.scalar(select(cls).where(cls.id == job_id, cls.owner_id == user_id))


class Execution(TimestampMixin, Model):
    """One scheduled slot or manual trigger of a job, across all its attempts."""

    __tablename__ = "executions"
    __table_args__ = (
        # Exactly once per slot: a second planner's insert for the same slot conflicts and does nothing.
        Index(
            "uq_executions_slot",
            "job_id",
            "scheduled_for",
            unique=True,
            postgresql_where=text("trigger <> 'manual'"),
            sqlite_where=text("trigger <> 'manual'"),
        ),
        Index("ix_executions_job_created", "job_id", "id"),
        Index("ix_executions_status_due", "status", "scheduled_for"),
        Index("ix_executions_owner_created", "owner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False)
    owner_id: Mapped[int] = mapped_column(BigId, nullable=False)
    job_version: Mapped[int] = mapped_column(Integer, nullable=False)
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    trigger: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    # Number of attempts started so far; a result write names its attempt, so a late one is refused.
    attempt: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    # When the next attempt is due (retrying) and until when a running attempt's worker holds it.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    worker: Mapped[str | None] = mapped_column(String(128))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # Why a slot was skipped or cancelled ("paused", "overlap", "missed", "stale", ...).
    reason: Mapped[str | None] = mapped_column(String(32))
    missed_count: Mapped[int | None] = mapped_column(Integer)
    # Every attempt's outcome: [{"attempt", "started_at", "finished_at", "status", "error", ...}]
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, nullable=False)

    job: Mapped[Job] = relationship(back_populates="executions")
    logs: Mapped[list[ExecutionLog]] = relationship(
        back_populates="execution",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ExecutionLog.id",
    )
    notifications: Mapped[list[Notification]] = relationship(
        back_populates="execution",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Notification.id",
    )

    @classmethod
    def owned(cls, execution_id: int, user_id: int) -> Execution | None:
        """The execution if its job belongs to the user; None otherwise."""
        if not 0 < execution_id <= MAX_ID:
            return None
        return db.session.scalar(select(cls).where(cls.id == execution_id, cls.owner_id == user_id))


class ExecutionLog(Model):
    __tablename__ = "execution_logs"
    __table_args__ = (Index("ix_execution_logs_execution", "execution_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"), nullable=False)
    attempt: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    level: Mapped[str] = mapped_column(String(16), default="info", nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    execution: Mapped[Execution] = relationship(back_populates="logs")


class Notification(Model):
    """What was sent to whom about which execution, and whether it was delivered."""

    __tablename__ = "notifications"
    __table_args__ = (
        # Never two of the same notice for one execution, however often its task is delivered.
        UniqueConstraint("execution_id", "channel", "recipient", "kind", name="uq_notifications_once"),
        Index("ix_notifications_job_created", "job_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"), nullable=False)
    job_id: Mapped[int] = mapped_column(BigId, nullable=False)
    owner_id: Mapped[int] = mapped_column(BigId, nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)  # email | webhook
    kind: Mapped[str] = mapped_column(String(16), default="failure", nullable=False)  # failure | recovery
    recipient: Mapped[str] = mapped_column(String(2048), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    # pending | sending | sent | failed | suppressed
    tries: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    suppressed_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a worker last claimed it for sending (added by notify): a row left `sending` long after
    # its claim was abandoned by a killed worker, and the sweep puts it back to `pending`.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    execution: Mapped[Execution] = relationship(back_populates="notifications")


class WorkerHeartbeat(Model):
    """The last time each consumer process was seen alive (readiness, and who holds a lease)."""

    __tablename__ = "worker_heartbeats"

    worker: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class SyncPass(Model):
    """One safety-sync pass: who ran it, when, and what it put right (the health page shows the last)."""

    __tablename__ = "sync_passes"

    # Only the most recent passes are kept: every consumer runs one a minute.
    KEEP = 100

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    worker: Mapped[str] = mapped_column(String(128), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    requeued: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    expired: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Every count the pass reported by name, so counts added to recovery later (missed slots, ...)
    # are recorded without a schema change.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)

    @classmethod
    def record(cls, worker: str, started_at: datetime, counts: dict[str, int]) -> None:
        """Write a finished pass and forget all but the last KEEP (commits)."""
        # Counts only: what the health page and the API show (a number per name).
        numbers = {
            name: value
            for name, value in counts.items()
            if isinstance(value, int) and not isinstance(value, bool)
        }
        db.session.add(
            cls(
                worker=worker[:128],
                started_at=started_at,
                finished_at=db_now(),
                requeued=numbers.get("requeued", 0),
                expired=numbers.get("expired", 0),
                details=numbers,
            )
        )
        db.session.flush()
        oldest_kept = select(cls.id).order_by(cls.id.desc()).offset(cls.KEEP - 1).limit(1).scalar_subquery()
        db.session.execute(delete(cls).where(cls.id < oldest_kept))
        db.session.commit()

    @classmethod
    def latest(cls) -> SyncPass | None:
        """The most recent pass, or None before the first."""
        return db.session.scalar(select(cls).order_by(cls.id.desc()).limit(1))


TEST_RUN_STATUSES = ("pending", "running", "succeeded", "failed")


class TestRun(Model):
    """An unsaved job's action, run once by a worker so the editor can show what it would do.

    The web process never makes the call: it records the request and a worker runs it with the
    same handlers and address rules as an execution. Secret header values are kept only until the
    run (the worker needs them) and masked as soon as it is over.
    """

    __tablename__ = "test_runs"
    __table_args__ = (
        Index("ix_test_runs_owner", "owner_id", "id"),
        Index("ix_test_runs_created", "created_at"),
    )
    __test__ = False  # not a pytest test class, whatever its name

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    # The saved job being edited, if any: its stored secrets fill masked header values, and its
    # signing secret signs the call.
    job_id: Mapped[int | None] = mapped_column(BigId)
    name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    handler: Mapped[str] = mapped_column(String(64), nullable=False)
    target: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    payload: Mapped[Any] = mapped_column(JSON, nullable=True)
    timeout_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    worker: Mapped[str | None] = mapped_column(String(128))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # The handler's log lines: [{"timestamp", "level", "message", "data"}]
    logs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, nullable=False)

    @classmethod
    def owned(cls, test_run_id: int, user_id: int) -> TestRun | None:
        """The test run if it is the user's; None for a missing one and for another user's."""
        if not 0 < test_run_id <= MAX_ID:
            return None
        return db.session.scalar(select(cls).where(cls.id == test_run_id, cls.owner_id == user_id))
