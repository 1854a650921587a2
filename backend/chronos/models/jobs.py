"""A job: what to run and when."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .base import (
    DEFAULT_BACKOFF,
    MAX_CONCURRENCY_KEY,
    MAX_ID,
    BigId,
    TimestampMixin,
    UTCDateTime,
    personal_workspace_of,
)
from .workflows import JobDependency

if TYPE_CHECKING:
    from .accounts import User
    from .executions import Execution


# A job's definition: every user-settable field but its status (what a version records). The one
# list: `schemas/jobs.py`'s JobInputSchema declares exactly these and `status` (a test holds it).
DEFINITION_FIELDS = (
    "name",
    "description",
    "job_type",
    "schedule_type",
    "cron_expression",
    "interval_seconds",
    "run_at",
    "timezone",
    "handler",
    "target",
    "payload",
    "timeout_seconds",
    "max_retries",
    "retry_backoff_seconds",
    "retry_on_client_error",
    "overlap_policy",
    "misfire_policy",
    "notify_on_failure",
    "notify_on_recovery",
    "notify_emails",
    "notify_webhook_url",
    "run_after",
    "concurrency_key",
    "keep_days",
    "keep_last",
    "dst_policy",
    "exclude_calendars",
    "on_excluded",
    "jitter_seconds",
)


class Job(TimestampMixin, Model):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_due", "status", "next_run_at"),
        Index("ix_jobs_owner_created", "owner_id", "created_at"),
        Index("ix_jobs_workspace_created", "workspace_id", "created_at"),
        Index("ix_jobs_workspace_concurrency_key", "workspace_id", "concurrency_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Who created it (and the default recipient of its failure notices).
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    # Whose it is: every member of the workspace sees it, by role.
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        default=personal_workspace_of("owner_id"),
        nullable=False,
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)

    # When
    job_type: Mapped[str] = mapped_column(String(16), nullable=False)
    schedule_type: Mapped[str] = mapped_column(String(16), nullable=False)
    cron_expression: Mapped[str | None] = mapped_column(String(200))
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", nullable=False)
    # schedule_type "after": {"jobs": [ids], "on": success|failure|completion, "within_seconds": n|None}.
    # Its jobs are also rows of job_dependencies (kept equal by scheduling/dependencies.py).
    run_after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Time (docs/time.md): the DST policy {"fold", "gap"}, the calendars whose days are excluded
    # (ids of the owner's calendars, in order), what an excluded slot does, and the jitter.
    dst_policy: Mapped[dict[str, str]] = mapped_column(
        JSON, default=lambda: {"fold": "first", "gap": "shift"}, nullable=False
    )
    exclude_calendars: Mapped[list[int]] = mapped_column(JSON, default=list, nullable=False)
    on_excluded: Mapped[str] = mapped_column(String(24), default="skip", nullable=False)
    jitter_seconds: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

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
    # Jobs sharing a key share its concurrency limit (models/limits.py), if their owner set one.
    concurrency_key: Mapped[str | None] = mapped_column(String(MAX_CONCURRENCY_KEY))

    # Who hears about it
    notify_on_failure: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    notify_on_recovery: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    notify_emails: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    notify_webhook_url: Mapped[str | None] = mapped_column(String(2048))

    # How long its history is kept (retention.py): None follows the instance's RETENTION_DAYS.
    keep_days: Mapped[int | None] = mapped_column(Integer)
    keep_last: Mapped[int | None] = mapped_column(Integer)

    # State
    status: Mapped[str] = mapped_column(String(16), default="active", nullable=False)
    # When the job next fires (calendars, DST policy and jitter applied); the planner's due index.
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The slot the planner has planned up to (inclusive; the nominal slot, before jitter); planning
    # resumes after it. Set to the instant of a (re)schedule, when nothing is planned yet.
    planned_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the current schedule took effect (create, schedule edit, resume): no slot before it
    # runs, not even one moved to the next business day from an excluded day before it.
    schedule_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[str | None] = mapped_column(String(16))
    # The definition's version, bumped on every change to it (each has a JobVersion row).
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    # The version at which the schedule last changed: a slot planned under an older one is not run.
    schedule_version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    owner: Mapped[User] = relationship(back_populates="jobs")
    executions: Mapped[list[Execution]] = relationship(
        back_populates="job", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def triggers(self) -> list[Job]:
        """The jobs that run after this one (as loaded by `with_triggers`, else read now)."""
        known: list[Job] | None = self.__dict__.get("_known_triggers")
        if known is not None:
            return known
        return list(
            db.session.scalars(
                select(Job)
                .join(JobDependency, JobDependency.downstream_job_id == Job.id)
                .where(JobDependency.upstream_job_id == self.id)
                .order_by(Job.id)
            )
        )

    @classmethod
    def with_triggers(cls, jobs: list[Job]) -> list[Job]:
        """Load the `triggers` of many jobs in one query, for a response listing them (a batch
        of a thousand new jobs would otherwise ask once per job)."""
        found: dict[int, list[Job]] = {job.id: [] for job in jobs}
        if found:
            for upstream_id, downstream in db.session.execute(
                select(JobDependency.upstream_job_id, Job)
                .join(Job, JobDependency.downstream_job_id == Job.id)
                .where(JobDependency.upstream_job_id.in_(list(found)))
                .order_by(Job.id)
            ):
                found[upstream_id].append(downstream)
        for job in jobs:
            job.__dict__["_known_triggers"] = found[job.id]
        return jobs

    @classmethod
    def owned(cls, job_id: int, workspace_id: int) -> Job | None:
        """The job if it is the workspace's; None for a missing job and for another workspace's."""
        if not 0 < job_id <= MAX_ID:
            return None
        return db.session.scalar(select(cls).where(cls.id == job_id, cls.workspace_id == workspace_id))
