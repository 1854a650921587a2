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
from ..models import Backfill, DependencyTrigger, Execution, ExecutionLog, Job, JobDependency, Notification
from . import dependencies
from .cron import next_firings

# The fields whose change makes a new schedule (a new version; planned slots dropped).
SCHEDULE_FIELDS = (
    "job_type",
    "schedule_type",
    "cron_expression",
    "interval_seconds",
    "run_at",
    "timezone",
    "run_after",
)


class JobStateError(Exception):
    """The job's state does not allow this (a completed one-time job resumed, ...): a 409."""


class HasDependantsError(JobStateError):
    """Deleting a job other jobs run after, without forcing it: a 409 naming them."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(
            f"Other jobs run after this one: {', '.join(names)}. Delete with ?force=true to remove it "
            "from their run_after (a job left with no upstream job is paused)."
        )
        self.names = names


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
    if job.status != "active" or job.schedule_type == "after":
        job.next_run_at = None  # a job that runs after others has no slots of its own
        return
    job.next_run_at = None  # interval schedules restart one interval from now
    firings = next_firings(job, now, 1)
    job.next_run_at = firings[0] if firings else None


def create(job: Job, now: datetime) -> None:
    """A new job, before it is inserted: active, its first slot computed from now (or its upstream
    jobs checked). `created` follows once the jobs have their ids."""
    if job.schedule_type == "after" and job.run_after:
        dependencies.check_run_after(job, job.owner_id, job.run_after)
    job.status = "active"
    schedule_job(job, now)


def created(jobs: Iterable[Job]) -> None:
    """What new jobs need once inserted: the rows that say which jobs they run after."""
    dependencies.add_upstreams(jobs)


def set_status(job: Job, status: str, now: datetime) -> None:
    """Pause or resume. Resuming recomputes next_run_at from now (missed slots are not replayed)."""
    if job.status == status:
        return
    if job.status == "completed":
        raise JobStateError("This one-time job has completed; PATCH a new run_at to run it again.")
    if status == "paused":
        job.status = "paused"
        schedule_job(job, now)  # not active: clears next_run_at
        dependencies.drop_waiting(job)
        return
    if job.schedule_type == "after" and not (job.run_after or {}).get("jobs"):
        raise JobStateError("This job runs after no job any more; PATCH its run_after to resume it.")
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
    if values.get("schedule_type") == "after" and values.get("run_after") and "run_after" in sent:
        dependencies.check_run_after(job, job.owner_id, values["run_after"])
    for name, value in values.items():
        if name != "status" and value != getattr(job, name):
            setattr(job, name, value)
    if edited:
        if job.status == "completed" and "run_at" in sent:
            job.status = "active"
        if status:
            job.status = status
        schedule_job(job, now, edited=True)
        dependencies.set_upstreams(job)
        if job.status == "paused":
            dependencies.drop_waiting(job)
    elif status:
        set_status(job, status, now)


def rotate_secret(job: Job) -> None:
    """A new signing secret; calls are signed with it from now on."""
    job.signing_secret = secrets.token_urlsafe(32)


def delete_job(job: Job, force: bool = False) -> None:
    """Delete a job with its history: executions, their logs and their notifications.

    A job other jobs run after is deleted only when forced: it is dropped from their `run_after`,
    and one left with no upstream job is paused.
    """
    dependants = dependencies.dependants(job)
    if dependants and not force:
        raise HasDependantsError([f"{d.name} (#{d.id})" for d in dependants])
    dependencies.detach(job)
    executions = select(Execution.id).where(Execution.job_id == job.id)
    db.session.execute(
        delete(DependencyTrigger).where(
            (DependencyTrigger.upstream_execution_id.in_(executions))
            | (DependencyTrigger.downstream_job_id == job.id)
        )
    )
    db.session.execute(
        delete(JobDependency).where(
            (JobDependency.downstream_job_id == job.id) | (JobDependency.upstream_job_id == job.id)
        )
    )
    # Explicit deletes, so history goes with the job on SQLite too (whose foreign keys may be off);
    # on PostgreSQL the ON DELETE CASCADE also covers a slot a planner inserts meanwhile.
    db.session.execute(delete(ExecutionLog).where(ExecutionLog.execution_id.in_(executions)))
    db.session.execute(delete(Notification).where(Notification.execution_id.in_(executions)))
    db.session.execute(delete(Execution).where(Execution.job_id == job.id))
    db.session.execute(delete(Backfill).where(Backfill.job_id == job.id))
    db.session.delete(job)
