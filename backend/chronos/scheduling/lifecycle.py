"""A job's life: created, edited, paused, resumed, completed, deleted — its rules, in one place.

Routes parse, call one of these and serialize; the rules that decide what an edit or a pause does
to a job's schedule live here, beside the planner that plans what they leave. Nothing here
commits: the caller commits once, so a change and what it implies are one transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select

from ..extensions import db
from ..models import Calendar, Execution, ExecutionLog, Job, Notification
from .calendars import CalendarError
from .cron import next_due, resume_runs
from .exclusions import checked_definition, job_schedule, jobs_using

# The fields whose change makes a new schedule (a new version; planned slots dropped).
SCHEDULE_FIELDS = (
    "job_type",
    "schedule_type",
    "cron_expression",
    "interval_seconds",
    "run_at",
    "timezone",
    "dst_policy",
    "exclude_calendars",
    "on_excluded",
    "jitter_seconds",
)
# How many calendars one user may keep.
MAX_CALENDARS = 100


class JobStateError(Exception):
    """The job's state does not allow this (a completed one-time job resumed, ...): a 409."""


def schedule_job(job: Job, now: datetime, *, edited: bool = False) -> None:
    """Recompute a job's next_run_at from `now` (on create, resume and schedule edits); no commit.

    An edit bumps the job's version and drops its planned, not yet claimed slots — and the future
    slots it had recorded as skipped by a calendar or a DST gap, which the new schedule may run —
    so the new schedule is planned afresh and a firing queued under the old one finds nothing to
    run. next_run_at is when the first run that fires fires (calendars, DST policy and jitter
    applied; see `cron.next_due`); the planner's cursor (`planned_until`) starts at `now`, and an
    interval restarts from it.
    """
    if edited:
        job.version = (job.version or 1) + 1
        if job.id is not None:
            db.session.execute(
                delete(Execution).where(
                    Execution.job_id == job.id,
                    Execution.trigger == "schedule",
                    Execution.scheduled_for > now,
                    or_(
                        Execution.status == "pending",
                        (Execution.status == "skipped")
                        & or_(Execution.reason == "dst_gap", Execution.reason.like("calendar: %")),
                    ),
                )
            )
    job.planned_until = None
    job.next_run_at = None
    if job.status != "active":
        return
    job.planned_until = job.schedule_since = now
    job.next_run_at = next_due(resume_runs(job_schedule(job), now, now))


def create(job: Job, now: datetime) -> None:
    """A new job: active, its first slot computed from now."""
    job.status = "active"
    # The id seeds the job's jitter: the first run is computed with the id every planner uses.
    db.session.flush()
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
    db.session.delete(job)


# --- calendars: a calendar edit is a schedule edit of every job that uses it -------------------


class CalendarInUseError(Exception):
    """A calendar that jobs still name cannot be deleted: a 409 naming them."""

    def __init__(self, jobs: list[Job]) -> None:
        names = ", ".join(f"{job.name!r} (id {job.id})" for job in jobs[:10])
        more = f" and {len(jobs) - 10} more" if len(jobs) > 10 else ""
        super().__init__(
            f"This calendar is used by {names}{more}; remove it from their exclude_calendars first."
        )
        self.jobs = jobs


def create_calendar(owner_id: int, definition: Mapping[str, Any]) -> Calendar:
    """A new calendar of the user (no commit); CalendarError naming the field when it is wrong."""
    count = len(list(db.session.scalars(select(Calendar.id).where(Calendar.owner_id == owner_id))))
    if count >= MAX_CALENDARS:
        raise CalendarError("name", f"At most {MAX_CALENDARS} calendars; delete one first.")
    calendar = Calendar(owner_id=owner_id, **checked_definition(definition))
    db.session.add(calendar)
    return calendar


def edit_calendar(calendar: Calendar, changes: Mapping[str, Any], now: datetime) -> None:
    """Apply an edit, checked as a whole calendar (no commit). The jobs using it are planned
    afresh, as after a schedule edit: a day it now excludes, or no longer does, changes their slots."""
    values = checked_definition({**calendar.definition(), **changes})
    changed = any(getattr(calendar, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(calendar, name, value)
    if changed:
        db.session.flush()
        for job in jobs_using(calendar):
            schedule_job(job, now, edited=True)


def delete_calendar(calendar: Calendar) -> None:
    """Delete a calendar no job uses (no commit); CalendarInUseError naming the jobs otherwise."""
    users = jobs_using(calendar)
    if users:
        raise CalendarInUseError(users)
    db.session.delete(calendar)
