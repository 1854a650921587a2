"""The planner: turns jobs' schedules into execution rows (one per slot), and manual runs into rows.

`plan_due_jobs` is safe to run from any number of processes at once: due jobs are claimed with
`FOR UPDATE SKIP LOCKED` (a job being planned by one planner is invisible to the others), and the
rows go in with `ON CONFLICT DO NOTHING` on the unique slot index, so a slot planned twice still
has exactly one execution. The planner only writes rows; it returns the new ones to queue, and
`tasks.py` hands them to Huey once they are committed.

A job's runs come from `cron.resume_runs` with its calendars, DST policy and jitter: a run that
fires becomes a `pending` row whose `scheduled_for` is its firing instant (the slot plus the job's
jitter, the same on every planner), a run that does not becomes a `skipped` row at its slot with
reason `dst_gap` or `calendar: <name>` — never a silent gap (docs/time.md, "One slot, one row").
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
from . import calendars
from .cron import Run, next_due, resume_runs
from .exclusions import built_calendars, job_schedule
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
    Job.dst_policy,
    Job.exclude_calendars,
    Job.on_excluded,
    Job.jitter_seconds,
    Job.schedule_since,
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
    built = built_calendars(i for job in jobs for i in (job.exclude_calendars or []))
    for job in jobs:
        plan = plan_job_slots(job, now, horizon, built)
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


def plan_job_slots(
    job: Any, now: datetime, horizon: datetime, built: dict[int, calendars.Calendar] | None = None
) -> _Plan:
    """The execution rows for one job's runs after its cursor up to `horizon`, misfires included.

    The cursor is `planned_until` (the last slot handled); a job without one starts at its
    next_run_at. A run is handled once its instant (when it fires, or its slot when skipped) is
    within the horizon; next_run_at becomes when the first run after them fires (`cron.next_due`).
    """
    plan = _Plan()
    start = job.next_run_at
    assert start is not None
    schedule = job_schedule(job, built if built is not None else None)
    cursor = job.planned_until if job.planned_until is not None else start - _TINY
    since = getattr(job, "schedule_since", None)
    runs = resume_runs(schedule, cursor, since)
    base = {
        "job_id": job.id,
        "owner_id": job.owner_id,
        "workspace_id": job.workspace_id,
        "job_version": job.version,
    }
    rows: dict[datetime, dict[str, Any]] = {}

    def add(row: dict[str, Any]) -> None:
        # Two runs on one instant are one slot; a run that fires wins over a skip (a real run is
        # never lost to the unique key).
        held = rows.get(row["scheduled_for"])
        if held is None or (held["status"] == "skipped" and row["status"] == "pending"):
            rows[row["scheduled_for"]] = row

    def skipped_row(run: Run) -> dict[str, Any]:
        return {
            **base,
            "scheduled_for": run.slot,
            "trigger": "schedule",
            "status": "skipped",
            "reason": run.skipped,
            "finished_at": now,
        }

    cutoff = missed_before(now)
    handled: Run | None = None  # the last run dealt with
    nominal: datetime | None = None  # the slot of the last one not moved: the next cursor
    following: Run | None = next(runs, None)
    if start < cutoff:
        # Runs missed while nothing ran (every planner and worker down): never a storm of runs,
        # and never a silent gap: one `skipped` row says how many were missed, from when; runs a
        # calendar or the DST policy skipped anyway keep their own reason.
        count, first_missed, last_missed = 0, start, start
        if job.schedule_type == "interval" and not schedule.calendars and not schedule.jitter_seconds:
            # Counted, not walked: a 1-second interval down for a day is 86 400 slots.
            step = timedelta(seconds=job.interval_seconds)
            first_missed = following.slot if following is not None else start
            count = math.floor((cutoff - first_missed - _TINY) / step) + 1
            last_missed = first_missed + step * (count - 1)
            nominal = last_missed
            runs = resume_runs(schedule, last_missed, since)
            following = next(runs, None)
        while following is not None and _instant(following) < cutoff and count < MAX_MISSED_COUNT:
            if following.fires_at is None:
                if len(rows) >= MAX_SLOTS_PER_JOB:
                    break  # the rest next pass, from here: a skip is never dropped
                add(skipped_row(following))
            else:
                if count == 0:
                    first_missed = following.fires_at
                last_missed = following.fires_at
                count += 1
            handled, following = following, next(runs, None)
            nominal = _cursor(handled, nominal)
        if count:
            run_latest = job.misfire_policy == "run_once"
            skipped = count - 1 if run_latest else count
            if skipped > 0:
                add(
                    {
                        **base,
                        "scheduled_for": first_missed,
                        "trigger": "schedule",
                        "status": "skipped",
                        "reason": "missed",
                        "missed_count": skipped,
                        "finished_at": now,
                    }
                )
            if run_latest:
                add({**base, "scheduled_for": last_missed, "trigger": "catch_up", "status": "pending"})
            log.info("Job %s missed %s slot(s) since %s (%s).", job.id, count, start, job.misfire_policy)
    planned = 0
    while following is not None and _instant(following) <= horizon and planned < MAX_SLOTS_PER_JOB:
        if following.fires_at is None:
            add(skipped_row(following))
        else:
            add({**base, "scheduled_for": following.fires_at, "trigger": "schedule", "status": "pending"})
        planned += 1
        handled, following = following, next(runs, None)
        nominal = _cursor(handled, nominal)
    plan.rows = list(rows.values())
    plan.planned_until = nominal or job.planned_until
    if following is not None and _instant(following) <= horizon:
        # Stopped at the per-pass limit: due again at once, to go on where this pass stopped.
        plan.next_run_at = _instant(following)
    else:
        plan.next_run_at = next_due(_chain(following, runs)) if following is not None else None
    if job.schedule_type == "once":
        # A one-time job whose run is skipped (or missed) has nothing left to run: it is done.
        plan.completed = plan.next_run_at is None and not any(row["status"] == "pending" for row in plan.rows)
    return plan


def _cursor(run: Run, cursor: datetime | None) -> datetime | None:
    """Where planning resumes after this run: its slot, or for a moved run the excluded slot it
    came from — a slot of the schedule either way (an interval steps from it), never a moved
    instant; `resume_runs` meets a moved run after the cursor again, and its row conflicts."""
    slot = run.moved_slot if run.moved_slot is not None else run.slot
    return slot if cursor is None or slot > cursor else cursor


def _instant(run: Run) -> datetime:
    """When a run happens: when it fires, or its slot when it is skipped."""
    return run.fires_at if run.fires_at is not None else run.slot


def _chain(first: Run, rest: Any) -> Any:
    yield first
    yield from rest


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
