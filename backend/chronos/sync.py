"""The safety sync: nothing due is left unqueued and nothing stays `running` forever.

Huey is at-most-once and keeps delayed tasks only in Redis, so this pass reads the truth from the
execution rows and puts work back: `pending` rows past their slot and `retrying` rows past their
next attempt that no worker claimed (Redis flushed, consumer down), `waiting` rows whose limit has
room again (scheduling/limits.py), and `running` rows whose lease
expired (their consumer was killed) — those count as a failed attempt and are retried per the
job's policy. Re-queueing something that is still queued is harmless: the claim lets one run.
A consumer stopping on SIGTERM hands its running executions back here too (`put_back_running`).

Like the executor, the sync touches only rows: what it finds to queue it returns as `FollowUps`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import JSON, String, and_, bindparam, or_, select, update

from . import executor
from .bulk import insert_log_lines
from .executor import Attempt, FollowUps, job_policy, record_attempts
from .extensions import db
from .handlers import Outcome
from .models import Execution, Job, SyncPass, UTCDateTime, db_now, utcnow
from .scheduling import limits

log = logging.getLogger(__name__)

LEASE_EXPIRED = "Worker stopped responding (lease expired)"
# A slot whose attempts keep losing their worker (a handler that kills it) fails after this many.
MAX_INTERRUPTIONS = 3
# Rows handled per pass and kind; a backlog larger than this is worked off over several passes.
MAX_ROWS = 5000

_executions = Execution.__table__


@dataclass
class Synced:
    """What one safety-sync pass did, and what it leaves for the queue."""

    requeued: int = 0
    expired: int = 0
    followups: FollowUps = field(default_factory=FollowUps)


def sync() -> Synced:
    """Re-queue due, unclaimed executions and fail-and-retry those whose lease expired."""
    now = db_now()
    grace = timedelta(seconds=current_app.config["RECOVERY_GRACE_SECONDS"])
    outcome = Synced()

    # Expired leases first: the retries they produce are queued with the rest.
    rows = db.session.execute(
        select(
            Execution.id,
            Execution.job_id,
            Execution.attempt,
            Execution.scheduled_for,
            Execution.trigger,
            Execution.job_version,
            Execution.attempts,
            Execution.started_at,
            Execution.worker,
            Execution.lease_expires_at,
        )
        .where(Execution.status == "running", Execution.lease_expires_at < now)
        .order_by(Execution.id)
        .limit(MAX_ROWS)
        # A row another transaction holds is being finished right now: leave it to that one.
        .with_for_update(skip_locked=True)
    ).all()
    if rows:
        # The worker died (or hangs) before recording: whether its call left is unknown. The slot is
        # given back to run again (at-least-once), as a slot never run: the misfire policy still
        # applies to it. Only a slot that keeps killing its workers ends as failed.
        again = [row for row in rows if _interruptions(row.attempts) < MAX_INTERRUPTIONS]
        given_up = [row for row in rows if _interruptions(row.attempts) >= MAX_INTERRUPTIONS]
        if again:
            log.warning("Giving back %s execution(s) whose lease expired.", len(again))
            outcome.followups.extend(
                _give_back(
                    again,
                    now,
                    lambda row: (
                        f"{LEASE_EXPIRED}: worker {row.worker} held attempt "
                        f"{row.attempt} until {_iso(row.lease_expires_at)}."
                    ),
                )
            )
        if given_up:
            jobs = {
                job.id: job
                for job in db.session.scalars(select(Job).where(Job.id.in_({row.job_id for row in given_up})))
            }
            policies = {job_id: job_policy(job) for job_id, job in jobs.items()}
            attempts = []
            for row in given_up:
                attempt = Attempt(
                    id=row.id,
                    job_id=row.job_id,
                    attempt=row.attempt,
                    scheduled_for=row.scheduled_for,
                    trigger=row.trigger,
                    job_version=row.job_version,
                    attempts=list(row.attempts or []),
                    started_at=row.started_at or now,
                    finished_at=now,
                    outcome=Outcome(ok=False, error=LEASE_EXPIRED, retryable=False),
                )
                attempt.log(
                    "error",
                    f"{LEASE_EXPIRED} {MAX_INTERRUPTIONS + 1} times: worker {row.worker} held attempt "
                    f"{row.attempt} until {_iso(row.lease_expires_at)}; giving up.",
                    None,
                )
                attempts.append(attempt)
            outcome.followups.extend(record_attempts(attempts, policies, now))
        outcome.expired = len(rows)
    else:
        db.session.rollback()

    # Due but unclaimed: the task was lost (or is very late). Queue it again.
    lost = db.session.execute(
        select(Execution.id, Execution.status, Execution.scheduled_for, Execution.next_attempt_at)
        .where(
            or_(
                and_(Execution.status == "pending", Execution.scheduled_for < now - grace),
                and_(Execution.status == "retrying", Execution.next_attempt_at < now - grace),
            )
        )
        .order_by(Execution.id)
        .limit(MAX_ROWS)
    ).all()
    db.session.rollback()
    if lost:
        log.warning("Re-queueing %s due execution(s) no worker claimed.", len(lost))
        # They are all overdue: queue them for now, grouped so a backlog still travels in batches.
        outcome.followups.runs.extend((row.id, now) for row in lost)
        outcome.requeued = len(lost)
    # Rows held back by a limit that has room again (its finishing run's follow-ups were lost).
    released = limits.waiting_with_room(now)
    db.session.rollback()
    if released:
        outcome.followups.runs.extend(released)
        outcome.requeued += len(released)
    # The health page shows the last pass and what it did (every count, by name); recording it must
    # never fail the pass itself.
    try:
        SyncPass.record(executor.worker_name, now, {"requeued": outcome.requeued, "expired": outcome.expired})
    except Exception:  # a record lost is only a gap on the health page
        db.session.rollback()
        log.warning("Could not record the safety sync pass.", exc_info=True)
    return outcome


def put_back_running(worker: str) -> FollowUps:
    """Hand a stopping consumer's running executions back (SIGTERM); they are queued for now."""
    now = db_now()
    rows = db.session.execute(
        select(Execution.id, Execution.attempt, Execution.attempts)
        .where(Execution.worker == worker, Execution.status == "running")
        .order_by(Execution.id)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        db.session.rollback()
        return FollowUps()
    followups = _give_back(
        rows,
        now,
        lambda row: f"Worker {worker} stopped during attempt {row.attempt}; the execution was put back.",
    )
    return followups


def _interruptions(attempts: list[dict[str, Any]] | None) -> int:
    return sum(1 for record in attempts or [] if record.get("status") == "interrupted")


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else "?"


def _give_back(rows: Sequence[Any], now: datetime, why: Callable[[Any], str]) -> FollowUps:
    """Put interrupted attempts back to run again now, and commit; what to queue.

    The interrupted attempt keeps its number, so its late write (if its thread is still going)
    is refused; the next claim takes the next number. A slot with no finished attempt goes back to
    `pending` — the misfire policy applies to it as to any slot not yet run — and one whose earlier
    attempt failed to `retrying`.
    """
    writes = []
    for row in rows:
        history = list(row.attempts or [])
        finished = any(record.get("status") != "interrupted" for record in history)
        writes.append(
            {
                "b_id": row.id,
                "b_attempt": row.attempt,
                "b_status": "retrying" if finished else "pending",
                "b_next": now if finished else None,
                "b_now": now,
                "b_attempts": [
                    *history,
                    {
                        "attempt": row.attempt,
                        "status": "interrupted",
                        "finished_at": now.isoformat(),
                        "error": why(row),
                    },
                ],
            }
        )
    db.session.execute(
        update(_executions)
        .where(
            _executions.c.id == bindparam("b_id"),
            _executions.c.attempt == bindparam("b_attempt"),
            _executions.c.status == "running",
        )
        .values(
            status=bindparam("b_status", type_=String()),
            next_attempt_at=bindparam("b_next", type_=UTCDateTime()),
            lease_expires_at=None,
            worker=None,
            attempts=bindparam("b_attempts", type_=JSON()),
            updated_at=bindparam("b_now", type_=UTCDateTime()),
        ),
        writes,
    )
    insert_log_lines(
        [
            {
                "execution_id": row.id,
                "attempt": row.attempt,
                "timestamp": utcnow(),
                "level": "warning",
                "message": why(row),
                "data": None,
            }
            for row in rows
        ]
    )
    db.session.commit()
    return FollowUps(runs=[(row.id, now) for row in rows])
