"""A job's life: created, edited, paused, resumed, completed, deleted — its rules, in one place.

Routes parse, call one of these and serialize; the rules that decide what an edit or a pause does
to a job's schedule live here, beside the planner that plans what they leave. Nothing here
commits: the caller commits once, so a change, what it implies, its audit event and its job
version are one transaction.

Every change to a job's definition makes a new version (`Job.version`, a `JobVersion` row with the
whole definition); `Job.schedule_version` is the version at which the schedule last changed. A slot
planned under an older schedule version is not run (the executor's stale rule), so a description
edit leaves planned slots alone while a schedule edit drops them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select

from .. import audit
from ..audit import SYSTEM, Actor
from ..extensions import db
from ..models import (
    DEFINITION_FIELDS,
    Backfill,
    Calendar,
    DependencyTrigger,
    Execution,
    ExecutionLog,
    Job,
    JobDependency,
    JobVersion,
    Notification,
)
from . import dependencies
from .calendars import CalendarError
from .cron import next_due, resume_runs
from .exclusions import checked_definition, job_schedule, jobs_using

# The fields whose change makes a new schedule (planned slots dropped).
SCHEDULE_FIELDS = (
    "job_type",
    "schedule_type",
    "cron_expression",
    "interval_seconds",
    "run_at",
    "timezone",
    "run_after",
    "dst_policy",
    "exclude_calendars",
    "on_excluded",
    "jitter_seconds",
)


# Versions are INTEGER columns: a larger number in a URL names nothing (and must not reach the driver).
MAX_VERSION = 2**31 - 1
# How many calendars one workspace may keep.
MAX_CALENDARS = 100


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


class NoSuchVersion(LookupError):
    """The job has no such version: a 404."""


def schedule_job(job: Job, now: datetime, *, edited: bool = False) -> None:
    """Recompute a job's next_run_at from `now` (on create, resume and schedule edits); no commit.

    A schedule edit makes a new version, which is the new schedule version, and drops the job's
    planned, not yet claimed slots — and the future slots it had recorded as skipped by a calendar
    or a DST gap, which the new schedule may run — so the new schedule is planned afresh and a
    firing queued under the old one is stale (see the module docstring). next_run_at is when the
    first run that fires fires (calendars, DST policy and jitter applied; see `cron.next_due`); the
    planner's cursor (`planned_until`) starts at `now`, and an interval restarts from it.
    """
    if edited:
        job.version = (job.version or 1) + 1
        job.schedule_version = job.version
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
    if job.status != "active" or job.schedule_type == "after":
        return  # a job that runs after others has no slots of its own
    job.planned_until = job.schedule_since = now
    job.next_run_at = next_due(resume_runs(job_schedule(job), now, now))


def _record(job: Job, actor: Actor, action: str, changes: dict[str, Any] | None = None) -> None:
    audit.record(job.workspace_id, actor, action, ("job", job.id), changes, job_id=job.id)


def create(job: Job, now: datetime) -> None:
    """A new job, before it is inserted: active, version 1, its first slot computed from now (or its
    upstream jobs checked). `created` follows once the jobs are inserted and have their ids."""
    if job.schedule_type == "after" and job.run_after:
        dependencies.check_run_after(job, job.workspace_id, job.run_after)
    job.status = "active"
    job.version = job.schedule_version = 1
    if job.id is None:
        # The id seeds the job's jitter: the first run is computed with the id every planner uses.
        db.session.add(job)
        db.session.flush()
    schedule_job(job, now)


def created(jobs: Iterable[Job], actor: Actor = SYSTEM) -> None:
    """What new jobs need once inserted: their first version, their audit event, and the rows that
    say which jobs they run after."""
    jobs = list(jobs)
    fields = list(DEFINITION_FIELDS)
    audit.record_many(
        [
            audit.event_row(
                job.workspace_id, actor, "job.created", ("job", job.id), {"name": [None, job.name]}, job.id
            )
            for job in jobs
        ],
        [audit.version_row(job, actor, fields, None) for job in jobs],
    )
    dependencies.add_upstreams(jobs)


def set_status(job: Job, status: str, now: datetime, actor: Actor = SYSTEM) -> None:
    """Pause or resume. Resuming recomputes next_run_at from now (missed slots are not replayed)."""
    if job.status == status:
        return
    if job.status == "completed":
        raise JobStateError("This one-time job has completed; PATCH a new run_at to run it again.")
    if status == "paused":
        job.status = "paused"
        schedule_job(job, now)  # not active: clears next_run_at
        dependencies.drop_waiting(job)
        _record(job, actor, "job.paused", {"status": ["active", "paused"]})
        return
    if job.schedule_type == "after" and not (job.run_after or {}).get("jobs"):
        raise JobStateError("This job runs after no job any more; PATCH its run_after to resume it.")
    if job.schedule_type == "once" and (job.run_at is None or job.run_at <= now):
        raise JobStateError("This one-time job's run_at has passed; PATCH a new run_at to resume it.")
    before = job.status
    job.status = "active"
    schedule_job(job, now)
    _record(job, actor, "job.resumed", {"status": [before, "active"]})


def edit(
    job: Job,
    values: dict[str, Any],
    sent: Iterable[str],
    status: str | None,
    now: datetime,
    actor: Actor = SYSTEM,
    restored_from: int | None = None,
) -> None:
    """Apply an edit already validated as a whole job (`values`: every user-settable field).

    A change to the definition makes a new version; editing the schedule recomputes next_run_at from
    now and drops slots planned under the old schedule; a completed one-time job given a new
    `run_at` becomes active again. A `status` sent with the edit pauses or resumes the job as well.
    """
    sent = set(sent)
    if values.get("schedule_type") == "after" and values.get("run_after") and "run_after" in sent:
        dependencies.check_run_after(job, job.workspace_id, values["run_after"])
    changes = {
        name: [getattr(job, name), values[name]]
        for name in DEFINITION_FIELDS
        if name in values and values[name] != getattr(job, name)
    }
    edited = any(name in changes for name in SCHEDULE_FIELDS)
    if changes and not audit.has_version(job.id, job.version):
        # A job from before job history began: its current definition becomes its first version.
        audit.snapshot(job, SYSTEM, list(DEFINITION_FIELDS), {})
    before_status = job.status
    for name, (_, value) in changes.items():
        setattr(job, name, value)
    if edited:
        if job.status == "completed" and "run_at" in sent:
            job.status = "active"
        if status:
            job.status = status
        schedule_job(job, now, edited=True)  # the new version, and the new schedule version
        dependencies.set_upstreams(job)
        if job.status == "paused":
            dependencies.drop_waiting(job)
    elif changes:
        job.version = (job.version or 1) + 1
    if changes:
        recorded = {name: [_json(old), _json(new)] for name, (old, new) in changes.items()}
        audit.snapshot(job, actor, list(DEFINITION_FIELDS), recorded)
        details: dict[str, Any] = dict(recorded)
        if restored_from is not None:
            details["restored_from"] = restored_from
        _record(job, actor, "job.updated", details)
    if edited:
        if job.status != before_status and job.status in ("paused", "active"):
            action = "job.paused" if job.status == "paused" else "job.resumed"
            _record(job, actor, action, {"status": [before_status, job.status]})
    elif status:
        set_status(job, status, now, actor)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def version_definition(job: Job, number: int) -> dict[str, Any]:
    """The job's definition at version `number` (credentials masked, as recorded); NoSuchVersion."""
    if not 0 < number <= MAX_VERSION:
        raise NoSuchVersion(f"Job {job.id} has no version {number}.")
    found = db.session.scalar(
        select(JobVersion.definition).where(JobVersion.job_id == job.id, JobVersion.version == number)
    )
    if found is None:
        raise NoSuchVersion(f"Job {job.id} has no version {number}.")
    definition: dict[str, Any] = dict(found)
    if isinstance(definition.get("run_at"), str):
        definition["run_at"] = datetime.fromisoformat(definition["run_at"])
    return definition


def rotate_secret(job: Job, actor: Actor = SYSTEM) -> None:
    """A new signing secret; calls are signed with it from now on."""
    job.signing_secret = secrets.token_urlsafe(32)
    _record(job, actor, "job.secret_rotated")


def delete_job(job: Job, actor: Actor = SYSTEM, force: bool = False) -> None:
    """Delete a job with its history: executions, their logs and their notifications.

    A job other jobs run after is deleted only when forced: it is dropped from their `run_after`,
    and one left with no upstream job is paused.
    """
    dependants = dependencies.dependants(job)
    if dependants and not force:
        raise HasDependantsError([f"{d.name} (#{d.id})" for d in dependants])
    dependencies.detach(job)
    _record(job, actor, "job.deleted", {"name": [job.name, None]})
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
    db.session.execute(delete(JobVersion).where(JobVersion.job_id == job.id))
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


def create_calendar(workspace_id: int, definition: Mapping[str, Any]) -> Calendar:
    """A new calendar of the workspace (no commit); CalendarError naming the field when it is wrong."""
    count = len(list(db.session.scalars(select(Calendar.id).where(Calendar.workspace_id == workspace_id))))
    if count >= MAX_CALENDARS:
        raise CalendarError("name", f"At most {MAX_CALENDARS} calendars; delete one first.")
    calendar = Calendar(workspace_id=workspace_id, **checked_definition(definition))
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
