"""Requests remembered by their `Idempotency-Key`: a retried POST answers what the first one made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import BigId, UTCDateTime, utcnow


class IdempotentRequest(Model):
    """One key per scope: the first request's fingerprint and the ids of what it created.

    The row is inserted in the same transaction as what the request creates, and the key is unique
    per scope, so of two concurrent requests with one key exactly one commits; the other finds its
    row and answers the same. The response is rebuilt from the created objects (nothing secret is
    copied here).
    """

    __tablename__ = "idempotent_requests"
    __table_args__ = (
        UniqueConstraint("scope", "key", name="uq_idempotent_requests_scope_key"),
        Index("ix_idempotent_requests_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Whose key it is ("workspace:<id>"): two workspaces' keys never meet.
    scope: Mapped[str] = mapped_column(String(64), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    # The route and a hash of the body: the same key with another request is refused, not replayed.
    route: Mapped[str] = mapped_column(String(64), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    job_ids: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
