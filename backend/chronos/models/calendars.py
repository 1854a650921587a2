"""Calendars of excluded days (public holidays, custom dates, weekends), one workspace's each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model, db
from .base import MAX_ID, BigId, TimestampMixin


class Calendar(TimestampMixin, Model):
    """A stored calendar definition; `scheduling/calendars.py` builds and judges it."""

    __tablename__ = "calendars"
    __table_args__ = (Index("ix_calendars_workspace", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    country: Mapped[str | None] = mapped_column(String(8))
    subdivision: Mapped[str | None] = mapped_column(String(64))
    # Custom excluded dates, ISO strings ("2026-12-24"), sorted.
    dates: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    weekends: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    @classmethod
    def owned(cls, calendar_id: int, workspace_id: int) -> Calendar | None:
        """The calendar if it belongs to the workspace; None for a missing one and another's."""
        if not 0 < calendar_id <= MAX_ID:
            return None
        return db.session.scalar(select(cls).where(cls.id == calendar_id, cls.workspace_id == workspace_id))

    @classmethod
    def owned_many(cls, calendar_ids: list[int], workspace_id: int) -> dict[int, Calendar]:
        """The workspace's calendars among these ids, by id (another workspace's are left out)."""
        ids = [i for i in calendar_ids if isinstance(i, int) and 0 < i <= MAX_ID]
        if not ids:
            return {}
        rows = db.session.scalars(select(cls).where(cls.id.in_(ids), cls.workspace_id == workspace_id))
        return {row.id: row for row in rows}

    def definition(self) -> dict[str, Any]:
        """What `scheduling.calendars.build_calendar` takes."""
        return {
            "name": self.name,
            "country": self.country,
            "subdivision": self.subdivision,
            "dates": list(self.dates or []),
            "weekends": self.weekends,
        }
