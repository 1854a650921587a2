"""Backfills: a job's past slots in a range, run again on request, a few at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, select
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model, db
from .base import MAX_ID, BigId, UTCDateTime, utcnow


class Backfill(Model):
    """One request to run a job's slots in [range_start, range_end]; its executions carry its id.

    Its progress is read from those executions (scheduling/backfills.py); only a cancel is stored.
    """

    __tablename__ = "backfills"
    __table_args__ = (Index("ix_backfills_job", "job_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False)
    owner_id: Mapped[int] = mapped_column(BigId, nullable=False)
    range_start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    range_end: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # At most this many of its executions run at once (the claim enforces it under this row's lock).
    max_concurrency: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    # Slots in the range, and how many of them got an execution (the others already had one).
    slot_count: Mapped[int] = mapped_column(Integer, nullable=False)
    created_count: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @classmethod
    def of_job(cls, backfill_id: int, job_id: int) -> Backfill | None:
        """The job's backfill of that id; None for a missing one and another job's."""
        if not 0 < backfill_id <= MAX_ID:
            return None
        return db.session.scalar(select(cls).where(cls.id == backfill_id, cls.job_id == job_id))
