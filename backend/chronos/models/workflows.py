"""Workflows: which jobs run after which, and each upstream run that triggered (or will) a downstream."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import BigId, UTCDateTime, utcnow

# A trigger row's state: `waiting` for the other upstreams of a fan-in, `used` by a downstream run,
# `dropped` (the downstream was paused: nothing is kept for later).
DEPENDENCY_TRIGGER_STATUSES = ("waiting", "used", "dropped")


class JobDependency(Model):
    """One edge of the graph: `downstream_job_id` runs after `upstream_job_id` (its `run_after.jobs`)."""

    __tablename__ = "job_dependencies"
    __table_args__ = (Index("ix_job_dependencies_upstream", "upstream_job_id"),)

    downstream_job_id: Mapped[int] = mapped_column(
        ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    upstream_job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)


class DependencyTrigger(Model):
    """An upstream execution's final status as seen by one downstream job: at most one row each.

    The unique key (upstream execution, downstream job) is what makes a downstream run happen at
    most once per qualifying upstream execution, whatever the number of consumers recording it.
    """

    __tablename__ = "dependency_triggers"
    __table_args__ = (
        UniqueConstraint("upstream_execution_id", "downstream_job_id", name="uq_dependency_triggers_once"),
        Index("ix_dependency_triggers_waiting", "downstream_job_id", "status"),
        Index("ix_dependency_triggers_downstream_execution", "downstream_execution_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    upstream_execution_id: Mapped[int] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    upstream_job_id: Mapped[int] = mapped_column(BigId, nullable=False)
    downstream_job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False)
    # The upstream's final status and a short excerpt of its result (credentials already masked).
    upstream_status: Mapped[str] = mapped_column(String(16), nullable=False)
    upstream_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="waiting", nullable=False)
    # The downstream run it caused (set when used).
    downstream_execution_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
