"""Teams: workspaces, who belongs to them with which role, invitations, and API keys."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model, db
from .accounts import User
from .base import MAX_ID, BigId, TimestampMixin, UTCDateTime, utcnow

# Least to most: each role may do everything the ones before it may.
ROLES = ("viewer", "editor", "admin", "owner")


def digest(secret: str) -> str:
    """The stored form of an API key or an invitation token: its SHA-256, hex.

    Both are 32+ random url-safe characters (190+ bits), so no salt or slow hash is needed: a table
    of hashes is useless without guessing the secret itself, and a plain digest keeps the per-request
    lookup one indexed equality.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


class Workspace(TimestampMixin, Model):
    """What owns jobs (and their executions, notices, keys); every user has a personal one."""

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # The user whose personal workspace this is (made at registration); None for a shared one.
    personal_for: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, nullable=True
    )
    # How long its history is kept (retention.py): None follows the instance's RETENTION_DAYS and
    # RETENTION_FAILED_DAYS; 0 keeps it forever, as the instance's 0 does.
    retention_days: Mapped[int | None] = mapped_column(Integer)
    retention_failed_days: Mapped[int | None] = mapped_column(Integer)

    @classmethod
    def personal_id(cls, user_id: int) -> int | None:
        """The id of the user's personal workspace."""
        return db.session.scalar(select(cls.id).where(cls.personal_for == user_id))


class Membership(Model):
    """A user's role in a workspace."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id", name="uq_memberships_workspace_user"),
        Index("ix_memberships_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    @classmethod
    def of(cls, workspace_id: int, user_id: int) -> Membership | None:
        """The user's membership of the workspace, or None."""
        if not (0 < workspace_id <= MAX_ID and 0 < user_id <= MAX_ID):
            return None
        return db.session.scalar(select(cls).where(cls.workspace_id == workspace_id, cls.user_id == user_id))


class Invitation(Model):
    """An invitation to join a workspace with a role; its token is stored only as a digest."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_workspace", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @classmethod
    def by_token(cls, token: str) -> Invitation | None:
        """The invitation whose token this is, whatever its state."""
        return db.session.scalar(select(cls).where(cls.token_hash == digest(token)))


class ApiKey(Model):
    """A workspace's key for scripts and CI: acts in that workspace with its role."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_workspace", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    # The first 12 characters, shown in lists so a key can be recognised; never enough to use it.
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def describe(self) -> dict[str, Any]:
        """How the key is named in the audit log."""
        return {"type": "api_key", "id": self.id, "label": f"{self.name} ({self.prefix}…)"}


@event.listens_for(User, "after_insert")
def _personal_workspace(mapper: Any, connection: Any, user: User) -> None:
    """Every user has a personal workspace (named for them, they its owner), from the moment they exist:
    made in the same transaction as the user, however the user is made."""
    now = utcnow()
    result = connection.execute(
        insert(Workspace.__table__).values(
            name=user.email, personal_for=user.id, created_at=now, updated_at=now
        )
    )
    connection.execute(
        insert(Membership.__table__).values(
            workspace_id=result.inserted_primary_key[0], user_id=user.id, role="owner", created_at=now
        )
    )
