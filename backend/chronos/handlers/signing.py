"""Webhook signatures: how a receiver knows a request came from Chronos and was not altered.

Every `http` call carries ``X-Chronos-Timestamp: <unix seconds>`` and
``X-Chronos-Signature: sha256=<hex>``, where ``<hex>`` is HMAC-SHA256 keyed with the job's signing
secret over ``f"{timestamp}.".encode() + body`` (the exact bytes sent). Signing the timestamp lets a
receiver refuse replays older than a few minutes; see `docs/webhooks.md`.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_PREFIX = "sha256="
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Chronos-Signature` value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify(
    secret: str,
    timestamp: str | int,
    body: bytes,
    signature: str,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `signature` is valid for `body` and `timestamp` is within `tolerance_seconds` of now."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance_seconds:
        return False
    # compare_digest: a plain == leaks, through timing, how many leading characters matched.
    return hmac.compare_digest(sign(secret, sent_at, body), signature)
