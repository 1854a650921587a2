"""The scheduler's own records: worker heartbeats, safety-sync passes, the editor's test runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    delete,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model, db
from .base import MAX_ID, BigId, UTCDateTime, db_now, personal_workspace_of, utcnow


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
        Index("ix_test_runs_workspace", "workspace_id", "id"),
        Index("ix_test_runs_created", "created_at"),
    )
    __test__ = False  # not a pytest test class, whatever its name

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        default=personal_workspace_of("owner_id"),
        nullable=False,
    )
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
    def owned(cls, test_run_id: int, workspace_id: int) -> TestRun | None:
        """The test run if it is the workspace's; None for a missing one and for another workspace's."""
        if not 0 < test_run_id <= MAX_ID:
            return None
        return db.session.scalar(select(cls).where(cls.id == test_run_id, cls.workspace_id == workspace_id))
