"""Executions (one per slot or run), their log lines and the notices sent about them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .base import MAX_ID, SLOT_INDEX_WHERE, BigId, TimestampMixin, UTCDateTime, utcnow, workspace_of_job
from .workflows import DependencyTrigger

if TYPE_CHECKING:
    from .jobs import Job


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
            postgresql_where=text(SLOT_INDEX_WHERE),
            sqlite_where=text(SLOT_INDEX_WHERE),
        ),
        Index("ix_executions_job_created", "job_id", "id"),
        Index("ix_executions_status_due", "status", "scheduled_for"),
        Index("ix_executions_owner_created", "owner_id", "created_at"),
        Index("ix_executions_backfill", "backfill_id", "status", "scheduled_for"),
        Index("ix_executions_workspace_created", "workspace_id", "created_at"),
        # A workspace's runs by slot time: the dashboard's last 24 hours and a workspace's retention
        # read only the rows of their range, not the workspace's whole history.
        Index("ix_executions_workspace_due", "workspace_id", "scheduled_for"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False)
    owner_id: Mapped[int] = mapped_column(BigId, nullable=False)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), default=workspace_of_job, nullable=False
    )
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
    # Why a slot was skipped or cancelled ("paused", "overlap", "missed", "stale", "dst_gap",
    # "calendar: <name>", ...), or why it is (or was) `waiting`: "backfill", or
    # "concurrency_key:<key>" (scheduling/limits.py). Long enough for a calendar's name.
    reason: Mapped[str | None] = mapped_column(String(128))
    # The backfill that created it (trigger `backfill`), whose `max_concurrency` it runs under.
    backfill_id: Mapped[int | None] = mapped_column(ForeignKey("backfills.id", ondelete="CASCADE"))
    missed_count: Mapped[int | None] = mapped_column(Integer)
    # Every attempt's outcome: [{"attempt", "started_at", "finished_at", "status", "error", ...}]
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, nullable=False)
    # This run's own payload, instead of the job's: a "Run now" override, or a dependency run's
    # payload with its upstream runs (scheduling/dependencies.py). NULL: the job's payload.
    payload: Mapped[Any] = mapped_column(JSON, nullable=True)
    # The upstream executions that caused a `dependency` run; the execution a `rerun` repeats.
    upstream_execution_ids: Mapped[list[int] | None] = mapped_column(JSON)
    rerun_of: Mapped[int | None] = mapped_column(BigId)

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

    @property
    def downstream_execution_ids(self) -> list[int]:
        """The runs this execution caused (as an upstream of jobs that run after its job)."""
        return list(
            db.session.scalars(
                select(DependencyTrigger.downstream_execution_id)
                .where(
                    DependencyTrigger.upstream_execution_id == self.id,
                    DependencyTrigger.downstream_execution_id.is_not(None),
                )
                .order_by(DependencyTrigger.downstream_execution_id)
            )
        )

    @classmethod
    def owned(cls, execution_id: int, workspace_id: int) -> Execution | None:
        """The execution if its job is the workspace's; None otherwise."""
        if not 0 < execution_id <= MAX_ID:
            return None
        return db.session.scalar(select(cls).where(cls.id == execution_id, cls.workspace_id == workspace_id))


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
