"""Concurrency limits: how many executions of a concurrency key may run at once, and how fast they start."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model, db
from .base import MAX_CONCURRENCY_KEY, BigId, TimestampMixin, UTCDateTime


class ConcurrencyLimit(TimestampMixin, Model):
    """A workspace's limit for one key. The claim locks this row while it decides (scheduling/limits.py),
    so the limit holds across every consumer; the token bucket of `per_second` lives here too."""

    __tablename__ = "concurrency_limits"
    __table_args__ = (UniqueConstraint("workspace_id", "key", name="uq_concurrency_limits_workspace_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False)
    key: Mapped[str] = mapped_column(String(MAX_CONCURRENCY_KEY), nullable=False)
    max_running: Mapped[int] = mapped_column(Integer, nullable=False)
    # Starts per second (None: no rate); a bucket of at most max(1, per_second) tokens.
    per_second: Mapped[float | None] = mapped_column(Float)
    tokens: Mapped[float] = mapped_column(Float, default=1.0, nullable=False)
    refilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @classmethod
    def owned(cls, key: str, workspace_id: int) -> ConcurrencyLimit | None:
        """The workspace's limit for the key, or None."""
        return db.session.scalar(select(cls).where(cls.workspace_id == workspace_id, cls.key == key))
