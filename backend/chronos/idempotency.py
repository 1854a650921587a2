"""Idempotent creation: a POST retried with the same `Idempotency-Key` never makes a second job.

The first request with a key stores (scope, key, route, fingerprint of the body, status, ids of
what it created) in the same transaction as the jobs. A retry with the same key and body answers
the same status with those jobs as they are now (header `Idempotent-Replayed: true`); the same key
with another body or on another route is refused (422), as reusing a key by mistake must not hide
a different request. Two concurrent requests with one key: the unique (scope, key) index lets one
commit; the other rolls back and replays the winner's answer. Keys are kept KEEP_HOURS, then
purged by the retention pass.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from .extensions import db
from .models import IdempotentRequest

HEADER = "Idempotency-Key"
KEEP_HOURS = 24
MAX_LENGTH = 255
# Visible ASCII only: a key is an opaque token (a UUID, a hash), never free text.
_VALID = re.compile(rf"[\x21-\x7e]{{1,{MAX_LENGTH}}}")


class IdempotencyError(ValueError):
    """The key is malformed, or was used with another request: a 422 naming the header."""


@dataclass(frozen=True)
class Prior:
    """What the first request with this key made."""

    status_code: int
    job_ids: list[int]


def check_key(value: str | None) -> str | None:
    """The header's key, or None when absent; IdempotencyError when malformed."""
    if value is None:
        return None
    if not _VALID.fullmatch(value):
        raise IdempotencyError(f"{HEADER} must be 1 to {MAX_LENGTH} visible ASCII characters (a UUID, say).")
    return value


def fingerprint(route: str, body: Any) -> str:
    """A hash of the route and the parsed body (key order and spacing do not matter)."""
    canonical = json.dumps([route, body], sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def find(scope: str, key: str, route: str, print_: str) -> Prior | None:
    """The first request's outcome with this key, or None; IdempotencyError for another request."""
    row = db.session.scalar(
        select(IdempotentRequest).where(IdempotentRequest.scope == scope, IdempotentRequest.key == key)
    )
    if row is None:
        return None
    if row.route != route or row.fingerprint != print_:
        raise IdempotencyError(
            f"This {HEADER} was already used with a different request; use a new key for a new request."
        )
    return Prior(row.status_code, [int(i) for i in row.job_ids])


def remember(scope: str, key: str, route: str, print_: str, status_code: int, job_ids: list[int]) -> None:
    """Record the outcome in the caller's transaction (no commit): it commits with the jobs or not at all."""
    db.session.add(
        IdempotentRequest(
            scope=scope, key=key, route=route, fingerprint=print_, status_code=status_code, job_ids=job_ids
        )
    )


def purge(now: datetime, limit: int) -> int:
    """Forget at most `limit` keys older than KEEP_HOURS; the number forgotten (no commit)."""
    cutoff = now - timedelta(hours=KEEP_HOURS)
    ids = select(IdempotentRequest.id).where(IdempotentRequest.created_at < cutoff).limit(limit)
    result = db.session.execute(
        delete(IdempotentRequest).where(IdempotentRequest.id.in_(ids.scalar_subquery()))
    )
    return int(getattr(result, "rowcount", 0) or 0)
