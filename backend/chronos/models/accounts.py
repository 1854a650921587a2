"""People: users and the tokens they have revoked."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    String,
    delete,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import Model, db
from .base import BigId, TimestampMixin, UTCDateTime, utcnow

if TYPE_CHECKING:
    from .jobs import Job


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
