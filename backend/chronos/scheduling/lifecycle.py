"""A job's life: created, edited, paused, resumed, completed, deleted — its rules, in one place.

Routes parse, call one of these and serialize; the rules that decide what an edit or a pause does
to a job's schedule live here, beside the planner that plans what they leave. Nothing here
commits: the caller commits once, so a change and what it implies are one transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from ..extensions import db
from ..models import Backfill, Execution, ExecutionLog, Job, Notification
from .cron import next_firings

# The fields whose change makes a new schedule (a new version; planned slots dropped).
SCHEDULE_FIELDS = ("job_type", "schedule_type", "cron_expression", "interval_seconds", "run_at", "timezone")


class JobStateError(Exception):
    """The job's state does not allow this (a completed one-time job resumed, ...): a 409."""


def schedule_job(job: Job, now: datetime, *, edited: bool = False) -> None:
    """Recompute a job's next_run_at from `now` (on create, resume and schedule edits); no commit.

    An edit bumps the job's version and drops its planned, not yet claimed slots, so the new
    schedule is planned afresh and a firing queued under the old one finds nothing to run.
    """
    if edited:
        job.version = (job.version or 1) + 1
        if job.id is not None:
            db.session.execute(
                delete(Execution).where(
                    Execution.job_id == job.id,
                    Execution.status == "pending",
                    Execution.trigger == "schedule",
                    Execution.scheduled_for > now,
                )
            )
    job.planned_until = None
    if job.status != "active":
        job.next_run_at = None
        return
    job.next_run_at = None  # interval schedules restart one interval from now
    firings = next_firings(job, now, 1)
    job.next_run_at = firings[0] if firings else None


def create(job: Job, now: datetime) -> None:
    """A new job: active, its first slot computed from now."""
    job.status = "active"
    schedule_job(job, now)


def set_status(job: Job, status: str, now: datetime) -> None:
    """Pause or resume. Resuming recomputes next_run_at from now (missed slots are not replayed)."""
    if job.status == status:
        return
    if job.status == "completed":
        raise JobStateError("This one-time job has completed; PATCH a new run_at to run it again.")
    if status == "paused":
        job.status = "paused"
        schedule_job(job, now)  # not active: clears next_run_at
        return
    if job.schedule_type == "once" and (job.run_at is None or job.run_at <= now):
        raise JobStateError("This one-time job's run_at has passed; PATCH a new run_at to resume it.")
    job.status = "active"
    schedule_job(job, now)


def edit(job: Job, values: dict[str, Any], sent: Iterable[str], status: str | None, now: datetime) -> None:
    """Apply an edit already validated as a whole job (`values`: every user-settable field).

    Editing the schedule recomputes next_run_at from now and drops slots planned under the old
    schedule; a completed one-time job given a new `run_at` becomes active again. A `status` sent
    with the edit pauses or resumes the job as well.
    """
    sent = set(sent)
    edited = any(values[name] != getattr(job, name) for name in SCHEDULE_FIELDS)
    for name, value in values.items():
        if name != "status" and value != getattr(job, name):
            setattr(job, name, value)
    if edited:
        if job.status == "completed" and "run_at" in sent:
            job.status = "active"
        if status:
            job.status = status
        schedule_job(job, now, edited=True)
    elif status:
        set_status(job, status, now)


def rotate_secret(job: Job) -> None:
    """A new signing secret; calls are signed with it from now on."""
    job.signing_secret = secrets.token_urlsafe(32)


def delete_job(job: Job) -> None:
    """Delete a job with its history: executions, their logs and their notifications."""
    executions = select(Execution.id).where(Execution.job_id == job.id)
    # Explicit deletes, so history goes with the job on SQLite too (whose foreign keys may be off);
    # on PostgreSQL the ON DELETE CASCADE also covers a slot a planner inserts meanwhile.
    db.session.execute(delete(ExecutionLog).where(ExecutionLog.execution_id.in_(executions)))
    db.session.execute(delete(Notification).where(Notification.execution_id.in_(executions)))
    db.session.execute(delete(Execution).where(Execution.job_id == job.id))
    db.session.execute(delete(Backfill).where(Backfill.job_id == job.id))
    db.session.delete(job)
