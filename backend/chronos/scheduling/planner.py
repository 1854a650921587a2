"""The planner: turns jobs' schedules into execution rows (one per slot), and manual runs into rows.

`plan_due_jobs` is safe to run from any number of processes at once: due jobs are claimed with
`FOR UPDATE SKIP LOCKED` (a job being planned by one planner is invisible to the others), and the
rows go in with `ON CONFLICT DO NOTHING` on the unique slot index, so a slot planned twice still
has exactly one execution. The planner only writes rows; it returns the new ones to queue, and
`tasks.py` hands them to Huey once they are committed.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import String, bindparam, select, update

from .. import audit
from ..audit import SYSTEM, Actor
from ..bulk import insert_slots
from ..extensions import db
from ..models import Execution, Job, UTCDateTime, db_now
from .cron import next_firings
from .misfire import missed_before

log = logging.getLogger(__name__)

# How many due jobs one planning transaction claims; the rest are planned in the next round.
JOBS_PER_ROUND = 500
# One pass stops after this many rounds (500 000 jobs); the next pass goes on from there.
MAX_ROUNDS = 1000
# Never plan more than this many slots of one job in one pass (a 1 s interval, 90 s lookahead: 90).
MAX_SLOTS_PER_JOB = 1000
# Counting missed slots of a cron job walks them one by one; the count stops here (a lower bound).
MAX_MISSED_COUNT = 100_000
_TINY = timedelta(microseconds=1)
# What planning a job reads (its schedule and where planning stands).
PLANNED_COLUMNS = (
    Job.id,
    Job.owner_id,
    Job.workspace_id,
    Job.version,
    Job.status,
    Job.schedule_type,
    Job.cron_expression,
    Job.interval_seconds,
    Job.run_at,
    Job.timezone,
    Job.misfire_policy,
    Job.next_run_at,
    Job.planned_until,
)


@dataclass
class _Plan:
    """What one job contributes to a planning round."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    next_run_at: datetime | None = None
    planned_until: datetime | None = None
    completed: bool = False


@dataclass
class Planned:
    """What a planning pass inserted: how many rows, and the new pending ones to queue (id, when)."""

    inserted: int = 0
    runs: list[tuple[int, datetime]] = field(default_factory=list)


def plan_due_jobs(job_ids: list[int] | None = None) -> Planned:
    """Plan every due job (or only `job_ids`): insert its slots up to the horizon, committed.

    Slots that already had a row are neither counted nor returned.
    """
    planned = Planned()
    for _ in range(MAX_ROUNDS):
        claimed = _plan_round(job_ids, planned)
        # A round that claimed a full batch may have left due jobs behind: go again.
        if claimed < JOBS_PER_ROUND:
            break
    return planned


def _plan_round(job_ids: list[int] | None, planned: Planned) -> int:
    now = db_now()
    horizon = now + timedelta(seconds=current_app.config["PLANNER_LOOKAHEAD_SECONDS"])
    # Only the columns planning reads, as plain rows: ORM objects for a round of jobs cost more
    # than planning them.
    query = (
        select(*PLANNED_COLUMNS)
        .where(Job.status == "active", Job.next_run_at.is_not(None), Job.next_run_at <= horizon)
        .order_by(Job.id)
        .limit(JOBS_PER_ROUND)
        # Another planner's jobs are skipped, not waited for: it is planning them right now.
        .with_for_update(skip_locked=True, of=Job)
    )
    if job_ids is not None:
        query = query.where(Job.id.in_(job_ids))
    jobs = list(db.session.execute(query))
    if not jobs:
        db.session.rollback()
        return 0

    rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for job in jobs:
        plan = plan_job_slots(job, now, horizon)
        rows.extend(plan.rows)
        updates.append(
            {
                "job_id": job.id,
                "next_run_at": plan.next_run_at,
                "planned_until": plan.planned_until,
                "status": "completed" if plan.completed else job.status,
            }
        )
    inserted = insert_slots(rows)
    # One executemany on the table (the ORM's per-statement session sync is far too slow here).
    jobs_table = Job.__table__
    db.session.execute(
        update(jobs_table)
        .where(jobs_table.c.id == bindparam("b_job_id"))
        .values(
            next_run_at=bindparam("b_next_run_at", type_=UTCDateTime()),
            planned_until=bindparam("b_planned_until", type_=UTCDateTime()),
            status=bindparam("b_status", type_=String()),
            updated_at=bindparam("b_now", type_=UTCDateTime()),
        ),
        [
            {
                "b_job_id": u["job_id"],
                "b_next_run_at": u["next_run_at"],
                "b_planned_until": u["planned_until"],
                "b_status": u["status"],
                "b_now": now,
            }
            for u in updates
        ],
    )
    db.session.commit()
    # Only committed rows go to the queue: a task must never find its row missing.
    planned.inserted += len(inserted)
    planned.runs.extend((row_id, when) for row_id, when, status in inserted if status == "pending")
    return len(jobs)


def plan_job_slots(job: Any, now: datetime, horizon: datetime) -> _Plan:
    """The execution rows for one job's slots from its next_run_at up to `horizon`, misfires included."""
    plan = _Plan()
    start = job.next_run_at
    assert start is not None
    base = {
        "job_id": job.id,
        "owner_id": job.owner_id,
        "workspace_id": job.workspace_id,
        "job_version": job.version,
    }
    cutoff = missed_before(now)
    if start < cutoff:
        # Slots missed while nothing ran (every planner and worker down): never a storm of runs,
        # and never a silent gap: one `skipped` row says how many were missed, from when.
        missed, last_missed = _count_missed(job, start, cutoff)
        run_latest = job.misfire_policy == "run_once"
        skipped = missed - 1 if run_latest else missed
        if skipped > 0:
            plan.rows.append(
                {
                    **base,
                    "scheduled_for": start,
                    "trigger": "schedule",
                    "status": "skipped",
                    "reason": "missed",
                    "missed_count": skipped,
                    "finished_at": now,
                }
            )
        if run_latest:
            plan.rows.append(
                {**base, "scheduled_for": last_missed, "trigger": "catch_up", "status": "pending"}
            )
        log.info("Job %s missed %s slot(s) since %s (%s).", job.id, missed, start, job.misfire_policy)
        following = _next_after(job, last_missed)
    else:
        following = start
    planned_until: datetime | None = None
    count = 0
    while following is not None and following <= horizon and count < MAX_SLOTS_PER_JOB:
        plan.rows.append({**base, "scheduled_for": following, "trigger": "schedule", "status": "pending"})
        planned_until = following
        count += 1
        following = _next_after(job, following)
    if planned_until is None and plan.rows:
        planned_until = max(row["scheduled_for"] for row in plan.rows)
    plan.planned_until = planned_until or job.planned_until
    if job.schedule_type == "once":
        plan.next_run_at = None
        # A skipped one-time slot has nothing left to run: the job is done.
        plan.completed = not any(row["status"] == "pending" for row in plan.rows)
    else:
        plan.next_run_at = following
    return plan


def _next_after(job: Any, after: datetime) -> datetime | None:
    """The job's first slot strictly after `after` (interval slots keep their anchor)."""
    if job.schedule_type == "once":
        return None
    firings = next_firings(job, after, 1)
    return firings[0] if firings else None


def _count_missed(job: Any, start: datetime, cutoff: datetime) -> tuple[int, datetime]:
    """How many slots lie in [start, cutoff), and the latest of them (`start` is one)."""
    if job.schedule_type == "interval" and job.interval_seconds:
        step = job.interval_seconds
        count = math.floor((cutoff - start - _TINY).total_seconds() / step) + 1
        return count, start + timedelta(seconds=step * (count - 1))
    count, last = 1, start
    while count < MAX_MISSED_COUNT:
        following = _next_after(job, last)
        if following is None or following >= cutoff:
            break
        count, last = count + 1, following
    return count, last


def trigger_manual(job: Job, actor: Actor = SYSTEM, payload: Any = None) -> Execution:
    """Create (and commit) a `manual` execution of the job, due now, with its audit event; the
    caller queues it.

    `payload`, when not None, is sent instead of the job's for this run only (stored on the run).
    """
    return _run_now(job, "manual", actor, "job.executed", payload=payload)


def rerun(execution: Execution, actor: Actor = SYSTEM) -> Execution:
    """Create (and commit) a `rerun` of an execution, due now, with the payload it was given."""
    return _run_now(
        execution.job, "rerun", actor, "job.executed", payload=execution.payload, rerun_of=execution.id
    )


def _run_now(job: Job, trigger: str, actor: Actor, action: str, **fields: Any) -> Execution:
    now = db_now()
    execution = Execution(
        job_id=job.id,
        owner_id=job.owner_id,
        workspace_id=job.workspace_id,
        job_version=job.version,
        scheduled_for=now,
        trigger=trigger,
        status="pending",
        attempt=0,
        attempts=[],
        **fields,
    )
    db.session.add(execution)
    db.session.flush()
    audit.record(job.workspace_id, actor, action, ("execution", execution.id), job_id=job.id)
    db.session.commit()
    return execution
