"""Notification rows: who is told, recorded once per (execution, channel, recipient, kind); claims.

The unique constraint `uq_notifications_once` is what makes a notice exactly-once however often
its task is delivered; a row is sent only by the caller whose conditional UPDATE moved it from
`pending` to `sending` (`claim`). Throttling: per job, channel and recipient at most one failure
notice per `NOTIFY_THROTTLE_SECONDS`; inside the window the row is recorded `suppressed`, and the
next one sent carries how many were suppressed since the last one (`suppressed_count`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Execution, Job, Notification, User, db_now, insert_for_dialect

log = logging.getLogger(__name__)

KINDS = ("failure", "recovery")
# Rows that count as "a notice went out (or is going out)" for the throttle window.
_THROTTLE_ANCHORS = ("pending", "sending", "sent")
# The sweep leaves a row this long past its due time before deciding its task was lost.
SWEEP_GRACE_SECONDS = 60
# Failed executions older than this are not notified late by the sweep (no spam after an upgrade).
SWEEP_LOOKBACK = timedelta(hours=1)
MAX_ERROR_CHARS = 2000


@dataclass
class Swept:
    """What the sweep found: counts by kind, rows to send again, executions to deliver again."""

    counts: dict[str, int] = field(default_factory=lambda: {"abandoned": 0, "pending": 0, "unrecorded": 0})
    sends: list[int] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)


def recipients(job: Job, owner_email: str) -> list[tuple[str, str]]:
    """(channel, recipient) pairs for a job: its e-mails or the owner's, plus its webhook."""
    emails: list[str] = []
    seen: set[str] = set()
    for address in job.notify_emails or [owner_email]:
        address = address.strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            emails.append(address)
    pairs = [("email", address) for address in emails]
    if job.notify_webhook_url:
        pairs.append(("webhook", job.notify_webhook_url))
    return pairs


def _wanted(execution: Execution, job: Job, kind: str) -> bool:
    if kind == "failure":
        return execution.status == "failed" and job.notify_on_failure
    if kind == "recovery":
        return execution.status == "succeeded" and job.notify_on_recovery
    return False


def record_notifications(execution_id: int, kind: str) -> list[int]:
    """Insert the execution's notification rows once; return the ids still `pending` (to send)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    execution = db.session.get(Execution, execution_id)
    if execution is None:  # deleted with its job: nobody to tell
        return []
    # Serialise the throttle decision per job: two executions of one job failing at the same
    # moment must not both find the window empty. The lock is held only until the commit below.
    job = db.session.scalar(select(Job).where(Job.id == execution.job_id).with_for_update())
    if job is None or not _wanted(execution, job, kind):
        if execution.status not in ("failed", "succeeded"):
            log.warning("Execution %s is %s, not final: no %s notification", execution_id,
                        execution.status, kind)
        db.session.commit()
        return []
    owner_email = db.session.scalar(select(User.email).where(User.id == job.owner_id)) or ""
    now = db_now()
    window = int(current_app.config["NOTIFY_THROTTLE_SECONDS"])
    for channel, recipient in recipients(job, owner_email):
        status, suppressed_count = "pending", 0
        if kind == "failure":
            status, suppressed_count = _throttle(job.id, execution.id, channel, recipient, now, window)
        _insert_once({
            "execution_id": execution.id, "job_id": job.id, "owner_id": job.owner_id,
            "channel": channel, "kind": kind, "recipient": recipient, "status": status,
            "tries": 0, "suppressed_count": suppressed_count, "created_at": now,
        })
    db.session.commit()
    return list(db.session.scalars(
        select(Notification.id).where(Notification.execution_id == execution.id, Notification.kind == kind,
                                      Notification.status == "pending").order_by(Notification.id)))


def _throttle(job_id: int, execution_id: int, channel: str, recipient: str, now: datetime,
              window: int) -> tuple[str, int]:
    """('suppressed', 0) inside the window of the last notice; else ('pending', suppressed since it)."""
    same = (Notification.job_id == job_id, Notification.channel == channel,
            Notification.recipient == recipient, Notification.kind == "failure",
            Notification.execution_id != execution_id)
    if window > 0:
        last_at = db.session.scalar(select(func.max(Notification.created_at)).where(
            *same, Notification.status.in_(_THROTTLE_ANCHORS)))
        if last_at is not None and last_at > now - timedelta(seconds=window):
            return "suppressed", 0
    last_unsuppressed = db.session.scalar(select(func.max(Notification.id)).where(
        *same, Notification.status != "suppressed")) or 0
    count = db.session.scalar(select(func.count()).select_from(Notification).where(
        *same, Notification.status == "suppressed", Notification.id > last_unsuppressed)) or 0
    return "pending", int(count)


def _insert_once(values: dict[str, Any]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on (execution, channel, recipient, kind)."""
    statement = insert_for_dialect(Notification).values(**values).on_conflict_do_nothing(
        index_elements=["execution_id", "channel", "recipient", "kind"])
    db.session.execute(statement)


def claim(notification_id: int) -> bool:
    """Move a row `pending` → `sending`; True only for the one caller whose UPDATE matched."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status == "pending")
        .values(status="sending", tries=Notification.tries + 1, claimed_at=db_now())
        .execution_options(synchronize_session=False))
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_sent(notification_id: int) -> None:
    """Record a claimed row as sent (only while it is still `sending`)."""
    db.session.execute(
        update(Notification).where(Notification.id == notification_id, Notification.status == "sending")
        .values(status="sent", sent_at=db_now(), error=None)
        .execution_options(synchronize_session=False))
    db.session.commit()


def mark_failed(notification: Notification, error: str, retryable: bool) -> tuple[str, float | None]:
    """Record a failed send: back to `pending` for a retry (and its delay), or `failed` for good."""
    backoff = list(current_app.config["NOTIFY_RETRY_BACKOFF_SECONDS"])
    tries = notification.tries
    will_retry = retryable and tries <= len(backoff)
    status = "pending" if will_retry else "failed"
    db.session.execute(
        update(Notification).where(Notification.id == notification.id, Notification.status == "sending")
        .values(status=status, error=error[:MAX_ERROR_CHARS])
        .execution_options(synchronize_session=False))
    db.session.commit()
    if will_retry:
        delay = float(backoff[tries - 1])
        log.warning("Notification %s try %s failed, retrying in %s s: %s", notification.id, tries, delay, error)
        return status, delay
    log.warning("Notification %s failed after %s tries: %s", notification.id, tries, error)
    return status, None


def sweep() -> Swept:
    """Find notifications whose task was lost (Redis lost, worker killed): what to queue again."""
    config = current_app.config
    now = db_now()
    grace = timedelta(seconds=SWEEP_GRACE_SECONDS)
    swept = Swept()
    counts = swept.counts

    # 1. `sending` long after the claim: the worker died mid-send. Put back, conditionally.
    stale = now - grace - timedelta(seconds=3 * float(config["SMTP_TIMEOUT_SECONDS"]))
    abandoned = list(db.session.execute(select(Notification.id, Notification.claimed_at).where(
        Notification.status == "sending", Notification.claimed_at < stale).limit(500)))
    for notification_id, claimed_at in abandoned:
        result = db.session.execute(
            update(Notification).where(Notification.id == notification_id, Notification.status == "sending",
                                       Notification.claimed_at == claimed_at)
            .values(status="pending").execution_options(synchronize_session=False))
        counts["abandoned"] += result.rowcount  # type: ignore[attr-defined]
    db.session.commit()

    # 2. `pending` and overdue: never claimed, or its retry task was lost.
    backoff = list(config["NOTIFY_RETRY_BACKOFF_SECONDS"]) or [0]
    rows = db.session.execute(select(Notification.id, Notification.tries, Notification.created_at,
                                     Notification.claimed_at).where(
        Notification.status == "pending", Notification.created_at < now - grace).limit(500))
    for notification_id, tries, created_at, claimed_at in rows:
        due = created_at if not tries or claimed_at is None else \
            claimed_at + timedelta(seconds=backoff[min(tries - 1, len(backoff) - 1)])
        if due < now - grace:
            swept.sends.append(notification_id)
            counts["pending"] += 1

    # 3. Failed executions with no notification rows at all: their deliver task was lost.
    missing = db.session.scalars(
        select(Execution.id).join(Job, Job.id == Execution.job_id).where(
            Execution.status == "failed", Job.notify_on_failure.is_(True),
            Execution.finished_at > now - SWEEP_LOOKBACK, Execution.finished_at < now - grace,
            ~select(Notification.id).where(Notification.execution_id == Execution.id,
                                           Notification.kind == "failure").exists())
        .limit(500))
    for execution_id in missing:
        swept.deliveries.append(execution_id)
        counts["unrecorded"] += 1
    db.session.commit()
    if any(counts.values()):
        log.info("Notification sweep re-queues %s", counts)
    return swept
